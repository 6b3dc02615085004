"""The embed code of `collection.getEmbed`: an iframe pointing at the public widget URL."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from urllib.parse import urlencode, urlsplit, urlunsplit

from flipshelf.domain.collections import parse_dimension
from flipshelf.domain.errors import BadRequest


@dataclass(frozen=True)
class EmbedOptions:
    https: bool
    responsive: bool
    start_page: int
    start_book: int
    width: int
    height: int


def parse_flag(name: str, value: str | None) -> bool:
    if value is None or value == "":
        return False
    lowered = value.lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    raise BadRequest(f"{name} must be true or false")


def parse_position(name: str, value: str | None) -> int:
    """Start page and start book count from 1."""
    if value is None or value == "":
        return 1
    if not value.isascii() or not value.isdigit() or int(value) < 1:
        raise BadRequest(f"{name} must be a whole number >= 1")
    return int(value)


def parse_embed_options(
    given: Callable[[str], str | None], width: int, height: int
) -> EmbedOptions:
    """getEmbed's options from their raw values (`given(name)`, None or "" when absent); the
    size defaults to the collection's own `width` x `height`."""
    chosen_width, chosen_height = given("width"), given("height")
    return EmbedOptions(
        https=parse_flag("https", given("https")),
        responsive=parse_flag("responsive", given("responsive")),
        start_page=parse_position("startPage", given("startPage")),
        start_book=parse_position("startBook", given("startBook")),
        width=parse_dimension("width", chosen_width) if chosen_width else width,
        height=parse_dimension("height", chosen_height) if chosen_height else height,
    )


def widget_url(base: str, collection_hash: str, options: EmbedOptions) -> str:
    parts = urlsplit(f"{base.rstrip('/')}/{collection_hash}")
    scheme = "https" if options.https else parts.scheme
    query = urlencode({"startBook": options.start_book, "startPage": options.start_page})
    return urlunsplit((scheme, parts.netloc, parts.path, query, ""))


def embed_code(base: str, collection_hash: str, options: EmbedOptions, title: str = "") -> str:
    """The iframe (docs/api.md, collection.getEmbed). Without `responsive` it is `width` by
    `height` on a wide page and shrinks with its container on a narrower one, keeping its shape
    (a phone never scrolls sideways because of it); with `responsive` it always fills its
    container's width. Its title (what screen readers announce) is the collection's."""
    src = escape(widget_url(base, collection_hash, options), quote=True)
    label = escape(f"Flipbook: {title}" if title.strip() else "Flipbook", quote=True)
    common = (
        'frameborder="0" allowfullscreen="true" '
        f'allow="fullscreen; clipboard-write; web-share" title="{label}"'
    )
    if options.responsive:
        ratio = round(options.height / options.width * 100, 4)
        return (
            f'<div style="position:relative;width:100%;height:0;padding-bottom:{ratio}%">'
            f'<iframe src="{src}" style="position:absolute;top:0;left:0;width:100%;height:100%" '
            f"{common}></iframe></div>"
        )
    fit = (
        f"display:block;width:100%;max-width:{options.width}px;height:auto;"
        f"aspect-ratio:{options.width}/{options.height};border:0"
    )
    return (
        f'<iframe src="{src}" width="{options.width}" height="{options.height}" '
        f'style="{fit}" {common}></iframe>'
    )
