"""The player page: `GET /widget/{collection}`, the URL `collection.getEmbed` points at, and the
static files it loads. How the player works in the browser: docs/player.md.

Who may open it (spec section 5): published and unlisted collections are public; a private one
needs a signed link (`exp`/`sig` from SignedLinks(purpose="collection")); drafts and deleted
collections are not found. Titles and descriptions are the owner's text, never markup: they reach
the page through Jinja2's autoescape and a JSON data block, never through string-built script.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from flipshelf.domain import layout
from flipshelf.domain.access import Access
from flipshelf.domain.collections import Collection, CollectionStatus, ConvertStatus
from flipshelf.domain.hashes import is_collection_hash
from flipshelf.services import reading
from flipshelf.services.ports import FileStore, Ports
from flipshelf.web.links import reader_link

HERE = Path(__file__).resolve().parent
STATIC_DIR = HERE / "static"
STATIC_MOUNT = "/static"
# The page lives at /widget/<hash>: relative URLs keep working behind a path prefix.
STATIC_PREFIX = "../static"
EVENTS_URL = "../events"

# page-flip injects one <style> element (its base CSS) when it loads; the policy allows exactly
# that stylesheet by hash instead of allowing inline styles (tests/unit/test_vendor.py checks it).
# The element is checked once while still empty, so the empty stylesheet's hash is allowed too.
PAGE_FLIP_STYLE_HASH = "sha256-68ovwuVEgP4KP6803CNhdg6S0jCfEydjM4sM/Qdnc5o="
EMPTY_STYLE_HASH = "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="


def content_security_policy(file_origin: str | None = None) -> str:
    """Self only, except the object store readers are redirected to for page files (if any)."""
    files = f"'self' {file_origin}" if file_origin else "'self'"
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            f"style-src 'self' '{PAGE_FLIP_STYLE_HASH}' '{EMPTY_STYLE_HASH}'",
            f"img-src {files}",
            f"connect-src {files}",
            "base-uri 'none'",
            "form-action 'none'",
            # The player is made to be embedded by any site that pastes the embed code.
            "frame-ancestors *",
        ]
    )


def file_origin(files: FileStore) -> str | None:
    """The origin an object store's signed URLs point at (signing is local: no request)."""
    try:
        url = files.signed_url(layout.ORIGIN_PROBE, timedelta(minutes=1))
    except Exception:  # no credentials yet: files then fail to load, and the log says why
        return None
    if not url:
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") else None


_templates = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


MESSAGES = {
    Access.FORBIDDEN: ("This link is not valid", "Ask the owner of this flipbook for a new link."),
    Access.NOT_FOUND: ("Flipbook not found", "There is no flipbook at this address."),
    Access.EXPIRED: ("This link has expired", "Ask the owner of this flipbook for a new link."),
}


def _position(value: str | None) -> int:
    """startBook/startPage: a whole number from 1; anything else opens at the start."""
    if value and value.isascii() and value.isdigit() and 0 < int(value) < 10_000_000:
        return int(value)
    return 1


def _flag(value: str | None) -> bool:
    return (value or "").lower() in ("1", "true", "yes")


def is_rtl(collection: Collection, query_flag: str | None) -> bool:
    """Right-to-left reading: the collection's `rtl` setting, or `?rtl=1` on the widget URL
    (handy to try a book both ways)."""
    return collection.rtl or _flag(query_flag)


@dataclass(frozen=True)
class Opening:
    """Where the player opens and what it appends to every file URL."""

    start_book: int  # 1-based position among the collection's items (as getEmbed counts)
    start_page: int
    rtl: bool
    signed_query: str  # "exp=...&sig=..." for a private collection, else ""


def player_config(collection: Collection, opening: Opening) -> dict[str, Any]:
    """Everything the player script needs, as plain data (rendered as JSON, never as script)."""
    suffix = f"&{opening.signed_query}" if opening.signed_query else ""
    books = [item for item in collection.items if item.convert_status is not ConvertStatus.FAILED]
    wanted = next(
        (n for n, item in enumerate(books) if item.position == opening.start_book),
        min(opening.start_book, len(books)) - 1 if books else 0,
    )
    base = f"../c/{collection.hash}"
    query = f"?{opening.signed_query}" if opening.signed_query else ""
    return {
        "collection": collection.hash,
        "title": collection.title,
        "description": collection.description,
        "books": [
            {
                "hash": item.hash,
                "title": item.title,
                "status": item.convert_status.value,
                "pageCount": item.page_count,
                # The original document, for readers who want to keep it (a "download" event).
                "download": f"../f/{item.hash}/source{query}",
            }
            for item in books
        ],
        "startBook": max(wanted, 0),
        "startPage": opening.start_page,
        "rtl": opening.rtl,
        "query": opening.signed_query,
        "events": f"{EVENTS_URL}?{opening.signed_query}" if opening.signed_query else EVENTS_URL,
        "logo": f"{base}/logo?v={collection.version}{suffix}" if collection.logo_key else None,
        "background": (
            f"{base}/background?v={collection.version}{suffix}"
            if collection.background_key
            else None
        ),
    }


def config_json(config: dict[str, Any]) -> Markup:
    """JSON safe inside <script type="application/json">: no `<`, `>` or `&` can end the block
    or start markup, whatever the titles contain."""
    text = json.dumps(config, ensure_ascii=False, separators=(",", ":"))
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(char, escaped)
    return Markup(text)  # noqa: S704 - every markup-significant character is escaped above


@cache
def asset_version() -> str:
    """Changes whenever a static file does, so asset URLs can be cached by browsers."""
    digest = hashlib.sha256()
    for path in sorted(STATIC_DIR.rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(STATIC_DIR).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def security_headers(private: bool, policy: str | None = None) -> dict[str, str]:
    return {
        "Content-Security-Policy": policy or content_security_policy(),
        "X-Content-Type-Options": "nosniff",
        # A private link's signature must not leak to the sites its pages link to.
        "Referrer-Policy": "no-referrer" if private else "strict-origin-when-cross-origin",
        "Cache-Control": "private, no-store" if private else "no-cache",
    }


def _message_page(state: Access) -> Response:
    heading, detail = MESSAGES[state]
    html = _templates.get_template("message.html").render(
        heading=heading, detail=detail, static=STATIC_PREFIX, version=f"?v={asset_version()}"
    )
    return HTMLResponse(html, status_code=state.value, headers=security_headers(private=True))


class Widget:
    def __init__(self, ports: Ports) -> None:
        self.ports = ports
        self._policy: str | None = None

    @property
    def policy(self) -> str:
        # Worked out on first use, in the serving process (never before a fork).
        if self._policy is None:
            self._policy = content_security_policy(file_origin(self.ports.files))
        return self._policy

    async def page(self, request: Request) -> Response:
        collection_hash = request.path_params["collection"]
        if not is_collection_hash(collection_hash):
            return _message_page(Access.NOT_FOUND)
        opened = await run_in_threadpool(
            reading.open_collection, self.ports, collection_hash, reader_link(request)
        )
        collection = opened.collection
        if collection is None:
            return _message_page(opened.access)
        private = collection.status is CollectionStatus.PRIVATE
        query = request.query_params
        opening = Opening(
            start_book=_position(query.get("startBook")),
            start_page=_position(query.get("startPage")),
            rtl=is_rtl(collection, query.get("rtl")),
            signed_query=(
                f"exp={query['exp']}&sig={query['sig']}" if private else ""
            ),  # checked above: digits and 64 hex characters
        )
        config = player_config(collection, opening)
        html = render_player(collection, config, STATIC_PREFIX, f"?v={asset_version()}")
        return HTMLResponse(html, headers=security_headers(private, self.policy))


def render_player(
    collection: Collection,
    config: dict[str, Any],
    static: str,
    version: str,
    data_scripts: tuple[str, ...] = (),
) -> str:
    return _templates.get_template("player.html").render(
        collection=collection,
        config=config_json(config),
        rtl=bool(config.get("rtl")),
        logo=config.get("logo"),
        background=config.get("background"),
        static=static,
        version=version,
        data_scripts=data_scripts,
    )


def offline_page(
    collection: Collection, config: dict[str, Any], static: str, scripts: list[str]
) -> str:
    """The same page for the offline package (docs/packages.md): relative paths, and the data
    scripts that set `window.FLIPSHELF_OFFLINE` loaded before the player, which then reads its
    manifests and text from them instead of fetching (browsers refuse fetch on file://)."""
    return render_player(collection, config, static, "", tuple(scripts))


class PlayerAssets(StaticFiles):
    """The player's scripts, styles and vendored code, with `nosniff` like the page."""

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers.setdefault("Cache-Control", "public, max-age=3600")
        return response


def widget_routes(ports: Ports) -> list[BaseRoute]:
    widget = Widget(ports)
    return [
        Route("/widget/{collection}", widget.page, methods=["GET", "HEAD"]),
        Mount(STATIC_MOUNT, app=PlayerAssets(directory=STATIC_DIR), name="static"),
    ]
