"""The player's HTML pages, rendered from templates/: the player, and the short message pages
(not found, expired link). Titles are text (Jinja2 autoescape); the configuration is JSON in a
`<script type="application/json">` block (escaping.script_json), never script."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from flipshelf.domain.collections import Collection
from flipshelf.domain.public_page import CollectionView, PageVisibility
from flipshelf.player.assets import BUNDLE, TEMPLATES_DIR
from flipshelf.player.config import PlayerConfig
from flipshelf.player.escaping import html_json
from flipshelf.player.first_page import FirstPage

templates = Environment(
    loader=FileSystemLoader(TEMPLATES_DIR),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
templates.filters["script_json"] = html_json


@dataclass(frozen=True)
class AssetPaths:
    """How a page refers to the static files: a folder (relative to the page) and a cache
    buster appended to each URL ("" in a package, whose files never change)."""

    static: str
    version: str = ""


def render_player(
    collection: Collection,
    config: PlayerConfig,
    assets: AssetPaths,
    data_scripts: tuple[str, ...] = (),
    preloads: tuple[str, ...] = (),
    first: FirstPage | None = None,
) -> str:
    """The player page. `data_scripts` (the offline package's) load before the player, which
    then reads its manifests and text from `window.FLIPSHELF_OFFLINE` instead of fetching.
    `preloads`: the first manifest (a `.json`) and page image, fetched while scripts load.
    `first`: the opening page as a plain image, shown before any script runs (first_page.py);
    its `style` must be allowed by the page's Content-Security-Policy (by its hash)."""
    return templates.get_template("player.html").render(
        collection=collection,
        config=config.to_json(),
        rtl=config.rtl,
        logo=config.logo,
        background=config.background,
        static=assets.static,
        version=assets.version,
        bundle=BUNDLE,
        data_scripts=data_scripts,
        preloads=preloads,
        first=first,
    )


@dataclass(frozen=True)
class PublicLinks:
    """The absolute URLs a collection's public page names (search engines and link previews
    need absolute ones) and the relative URL of its player."""

    url: str
    image: str | None
    widget: str


def render_collection_page(
    view: CollectionView, links: PublicLinks, assets: AssetPaths, structured: dict[str, Any]
) -> str:
    """The collection's public page: metadata, the player, and the text of its pages. Every
    title and description is the owner's text: autoescaped in HTML, script_json in JSON-LD."""
    collection = view.collection
    return templates.get_template("collection.html").render(
        title=collection.title or "Flipbook",
        description=collection.description,
        noindex=view.visibility is PageVisibility.NOINDEX,
        url=links.url,
        image=links.image,
        widget=links.widget,
        books=view.books,
        truncated=view.truncated,
        structured=structured,
        static=assets.static,
        version=assets.version,
    )


def structured_data(view: CollectionView, links: PublicLinks) -> dict[str, Any]:
    """schema.org data for search engines: the collection as a Book (its flipbooks as parts)."""
    collection = view.collection
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Book",
        "name": collection.title or "Flipbook",
        "url": links.url,
        "numberOfPages": sum(book.page_count for book in view.books),
    }
    if collection.description:
        data["description"] = collection.description
    if links.image:
        data["image"] = links.image
    if len(view.books) > 1:
        data["hasPart"] = [
            {"@type": "Book", "name": book.title, "numberOfPages": book.page_count}
            for book in view.books
        ]
    return data


def render_message(heading: str, detail: str, assets: AssetPaths) -> str:
    return templates.get_template("message.html").render(
        heading=heading, detail=detail, static=assets.static, version=assets.version
    )
