"""What the player script is told: a typed, frozen value, rendered once as JSON.

The same value serves the live widget and the offline package; `offline` switches the few
things that differ (no reader events, no download links, files beside index.html instead of
server URLs). Owner text (titles, descriptions) is carried as data, never as markup.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flipshelf.domain.collections import Collection, ConvertStatus
from flipshelf.domain.zoom import ZOOM_WIDTHS

# Where the live player finds things, relative to its page at /widget/<hash>: relative URLs
# keep working behind a path prefix.
EVENTS_URL = "../events"
FILES_URL = "../f"
COLLECTION_FILES_URL = "../c"


@dataclass(frozen=True)
class Opening:
    """Where the player opens and what it appends to every file URL."""

    start_book: int  # 1-based position among the collection's items (as getEmbed counts)
    start_page: int
    rtl: bool
    signed_query: str  # "exp=...&sig=..." for a private collection, else ""


@dataclass(frozen=True)
class OfflineFiles:
    """What an offline package holds: which flipbooks, and its logo and background paths."""

    flipbooks: frozenset[str]
    logo: str | None
    background: str | None


@dataclass(frozen=True)
class BookEntry:
    hash: str
    title: str
    status: str
    page_count: int | None
    # The original document, for readers who want to keep it (a "download" event); None in a
    # package, which holds pages, not the original documents.
    download: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "hash": self.hash,
            "title": self.title,
            "status": self.status,
            "pageCount": self.page_count,
            "download": self.download,
        }


@dataclass(frozen=True)
class PlayerConfig:
    collection: str
    title: str
    description: str
    books: tuple[BookEntry, ...]
    start_book: int  # 0-based index into `books`
    start_page: int
    rtl: bool
    query: str  # appended to every file URL ("" unless private)
    events: str | None  # where reader events go; None: send none
    logo: str | None
    background: str | None
    offline: bool
    # The widths the server draws zoom images at on demand (`../f/<hash>/zoom/<page>-<width>.jpg`);
    # empty offline, where the player never asks the server and zooms into the packaged images.
    zoom_widths: tuple[int, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "collection": self.collection,
            "title": self.title,
            "description": self.description,
            "books": [book.to_json() for book in self.books],
            "startBook": self.start_book,
            "startPage": self.start_page,
            "rtl": self.rtl,
            "query": self.query,
            "events": self.events,
            "logo": self.logo,
            "background": self.background,
            "offline": self.offline,
            "zoomWidths": list(self.zoom_widths),
        }


def player_config(
    collection: Collection, opening: Opening, offline: OfflineFiles | None = None
) -> PlayerConfig:
    """The live widget's configuration, or with `offline` the package's."""
    books = [item for item in collection.items if item.convert_status is not ConvertStatus.FAILED]
    wanted = next(
        (n for n, item in enumerate(books) if item.position == opening.start_book),
        min(opening.start_book, len(books)) - 1 if books else 0,
    )
    query = f"?{opening.signed_query}" if opening.signed_query else ""
    entries = tuple(
        BookEntry(
            hash=item.hash,
            title=item.title,
            status=item.convert_status.value,
            page_count=item.page_count,
            download=None if offline else f"{FILES_URL}/{item.hash}/source{query}",
        )
        for item in books
        if offline is None or item.hash in offline.flipbooks
    )
    logo, background = (
        (offline.logo, offline.background) if offline else _collection_files(collection, opening)
    )
    return PlayerConfig(
        collection=collection.hash,
        title=collection.title,
        description=collection.description,
        books=entries,
        start_book=max(wanted, 0),
        start_page=opening.start_page,
        rtl=opening.rtl,
        query=opening.signed_query,
        events=None if offline else EVENTS_URL + query,
        logo=logo,
        background=background,
        offline=offline is not None,
        zoom_widths=() if offline else ZOOM_WIDTHS,
    )


def _collection_files(collection: Collection, opening: Opening) -> tuple[str | None, str | None]:
    """The logo and background URLs; `v` changes with the collection, so they can be cached."""
    suffix = f"&{opening.signed_query}" if opening.signed_query else ""
    base = f"{COLLECTION_FILES_URL}/{collection.hash}"

    def url(name: str, key: str | None) -> str | None:
        return f"{base}/{name}?v={collection.version}{suffix}" if key else None

    return url("logo", collection.logo_key), url("background", collection.background_key)
