"""A collection's public page (`/c/{hash}`): what it shows, read from the collection and its
flipbooks' manifests and text. Who may see it: domain/public_page.py."""

from __future__ import annotations

import json
import re

from flipshelf.conversion.manifest import MANIFEST_NAME, Manifest, OutlineEntry, page_texts
from flipshelf.domain import layout
from flipshelf.domain.access import ReaderLink
from flipshelf.domain.collections import ConvertStatus
from flipshelf.domain.public_page import (
    CollectionView,
    Heading,
    PageVisibility,
    PublicBook,
    PublicPage,
    page_visibility,
)
from flipshelf.services import reading
from flipshelf.services.ports import FileStore, Ports

# Text on the page, all books together: enough for search engines and readers without the
# player; the rest is in the flipbook (a 1000-page book's text is megabytes).
MAX_TEXT = 200_000
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ufffd]")
_PARAGRAPHS = re.compile(r"\n\s*\n")


def collection_view(ports: Ports, collection_hash: str) -> CollectionView | None:
    """The page of a published or unlisted collection; None for any other (private, draft,
    deleted, unknown): the page would put a private document's text in front of anyone."""
    # The reader rule with no link: a private collection's page would put its text in front of
    # whoever a forwarded player link reaches, so even a valid link opens no page.
    collection = reading.open_collection(ports, collection_hash, ReaderLink()).collection
    if collection is None:
        return None
    visibility = page_visibility(collection)
    if visibility is PageVisibility.CLOSED:
        return None
    budget = MAX_TEXT
    books: list[PublicBook] = []
    for item in collection.items:
        if item.convert_status is not ConvertStatus.COMPLETE:
            continue
        manifest = _manifest(ports.files, item.hash)
        if manifest is None:
            continue
        book, used = _book(ports.files, item.hash, item.title, manifest, budget)
        budget -= used
        books.append(book)
    return CollectionView(collection, visibility, tuple(books), budget <= 0)


def _book(
    files: FileStore, flipbook_hash: str, title: str, manifest: Manifest, budget: int
) -> tuple[PublicBook, int]:
    texts = page_texts(manifest, lambda name: _read(files, flipbook_hash, name), limit=budget)
    pages: list[PublicPage] = []
    used = 0
    for number, text in enumerate(texts, start=1):
        if used >= budget:
            break
        text = _CONTROLS.sub(" ", text)[: budget - used]
        used += len(text)
        paragraphs = tuple(" ".join(p.split()) for p in _PARAGRAPHS.split(text) if p.strip())
        if paragraphs:
            pages.append(PublicPage(number, paragraphs))
    first = manifest.pages[0] if manifest.pages else None
    normal = first.images.get("normal") if first is not None else None
    book = PublicBook(
        hash=flipbook_hash,
        title=title,
        page_count=manifest.page_count,
        outline=tuple(_heading(entry) for entry in manifest.outline),
        pages=tuple(pages),
        cover=normal.file if normal is not None else None,
    )
    return book, used


def _read(files: FileStore, flipbook_hash: str, name: str) -> str:
    with files.open_read(layout.book_file(flipbook_hash, name)) as data:
        return data.read().decode("utf-8", errors="replace")


def _manifest(files: FileStore, flipbook_hash: str) -> Manifest | None:
    try:
        return Manifest.from_json(json.loads(_read(files, flipbook_hash, MANIFEST_NAME)))
    except (OSError, ValueError, KeyError):
        return None


def _heading(entry: OutlineEntry) -> Heading:
    return Heading(entry.title, entry.page, tuple(_heading(child) for child in entry.children))
