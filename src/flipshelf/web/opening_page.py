"""The opening page the player shows as a plain image before its scripts run
(player/first_page.py): which book and page open, that page's image URL, and its geometry read
from the book's manifest (kept per page: a ready page's size never changes)."""

from __future__ import annotations

import json

from flipshelf.conversion.manifest import MANIFEST_NAME, Manifest
from flipshelf.conversion.options import NORMAL
from flipshelf.conversion.pages import image_name
from flipshelf.domain import layout
from flipshelf.domain.collections import Collection
from flipshelf.player.config import FILES_URL, BookEntry, PlayerConfig
from flipshelf.player.first_page import FirstPage, PageGeometry, placement_css, spread_side
from flipshelf.services.ports import FileStore


def opening_book(config: PlayerConfig) -> BookEntry | None:
    """The flipbook the player opens (player.js: `startBook`, clamped)."""
    if config.offline or not config.books:
        return None
    return config.books[min(config.start_book, len(config.books) - 1)]


def opening_image(collection: Collection, config: PlayerConfig) -> str | None:
    """The URL of the opening page's normal image, when that page is ready. The image's name is
    the converter's (conversion.pages.image_name), so it is known without the manifest."""
    book = opening_book(config)
    item = collection.item(book.hash) if book else None
    if book is None or item is None or not item.page_count:
        return None
    if not 0 < config.start_page <= min(item.pages_ready, item.page_count):
        return None
    if config.start_page in item.failed_pages:
        return None
    query = f"?{config.query}" if config.query else ""
    name = image_name(config.start_page, item.page_count, NORMAL)
    return f"{FILES_URL}/{book.hash}/{name}{query}"


def page_geometry(manifest: Manifest, number: int) -> PageGeometry | None:
    """None unless page `number` is ready and has a normal image (not converted yet, or
    failed: the engine's placeholder is the first paint then)."""
    if not manifest.pages or not 0 < number <= min(manifest.pages_ready, manifest.page_count):
        return None
    first, page = manifest.pages[0], manifest.pages[number - 1]
    image = page.images.get("normal")
    if page.failed is not None or image is None:
        return None
    if min(first.width, first.height, page.width, page.height) <= 0:
        return None
    return PageGeometry(
        book_ratio=first.width / first.height,
        page_ratio=page.width / page.height,
        image_width=image.width,
        image_height=image.height,
    )


def first_page(
    collection: Collection, config: PlayerConfig, geometry: PageGeometry | None
) -> FirstPage | None:
    """The opening page as a plain image (player/first_page.py), or None where the engine's
    placeholder is the first thing to see (a page not converted yet, or failed)."""
    book = opening_book(config)
    image = opening_image(collection, config)
    if book is None or image is None or geometry is None:
        return None
    title = book.title or collection.title or "Flipbook"
    return FirstPage(
        src=image,
        alt=f"{title}, page {config.start_page}",
        width=geometry.image_width,
        height=geometry.image_height,
        style=placement_css(geometry, spread_side(config.start_page, config.rtl)),
    )


class Geometries:
    """Page geometry read from manifests, kept per (flipbook, page): a ready page's size never
    changes (its files are never rewritten), so each book's manifest is read once, not on every
    page view (a 1000-page one is 320 KB of JSON)."""

    LIMIT = 1024

    def __init__(self, files: FileStore) -> None:
        self.files = files
        self.known: dict[tuple[str, int], PageGeometry] = {}

    def get(self, flipbook_hash: str, number: int) -> PageGeometry | None:
        key = (flipbook_hash, number)
        if key in self.known:
            return self.known[key]
        try:
            with self.files.open_read(layout.book_file(flipbook_hash, MANIFEST_NAME)) as data:
                manifest = Manifest.from_json(json.loads(data.read()))
        except (OSError, ValueError, KeyError, TypeError):
            return None  # no manifest yet, or one this server cannot read: no plain image
        geometry = page_geometry(manifest, number)
        if geometry is not None:
            if len(self.known) >= self.LIMIT:
                self.known.clear()
            self.known[key] = geometry
        return geometry
