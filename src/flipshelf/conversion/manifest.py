"""The flipbook manifest: the one JSON file the browser player reads (format: docs/manifest.md).

The same dataclasses carry a page's results from a worker process to the parent, so the wire form
between them is the manifest's own JSON: the parent never unpickles what a worker (which parses
untrusted files) sends.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, NamedTuple

from flipshelf.conversion.geometry import Rect

# 2: a page may be `failed` (it could not be drawn; the rest of the book was).
# 3: `textReady`: a page's images come first (the page is readable), its text, words and links in
# a second pass.
# 4: a page's thumbnail (but the first page's) comes with its text in the second pass; its normal
# image alone makes it readable. Readers of this code read versions 1-3 (books converted before)
# as well: their pages have the same shape.
MANIFEST_VERSION = 4
READABLE_VERSIONS = frozenset({1, 2, 3, 4})
MANIFEST_NAME = "manifest.json"
TEXT_INDEX_NAME = "text/all.json"


@dataclass(frozen=True)
class Link:
    """A clickable area of a page: exactly one of `uri` and `page` (1-based) is set."""

    rect: Rect
    uri: str | None = None
    page: int | None = None

    def to_json(self) -> dict[str, Any]:
        target: dict[str, Any] = {"uri": self.uri} if self.uri is not None else {"page": self.page}
        return {"rect": list(self.rect), **target}

    @staticmethod
    def from_json(data: dict[str, Any]) -> Link:
        left, top, right, bottom = (float(value) for value in data["rect"])
        uri = data.get("uri")
        page = data.get("page")
        return Link(
            rect=(left, top, right, bottom),
            uri=str(uri) if uri is not None else None,
            page=int(page) if page is not None else None,
        )


class Word(NamedTuple):
    """A word of a page's text and where it is (fractions of the page, like a link's rect).

    A named tuple rather than a frozen dataclass: a dense page has a thousand words, and a
    frozen dataclass costs several times as much to create."""

    rect: Rect
    text: str

    def to_json(self) -> list[Any]:
        return [*self.rect, self.text]


def write_words(path: Path, words: list[Word]) -> None:
    path.write_text(_dumps([word.to_json() for word in words]), encoding="utf-8")


@dataclass(frozen=True)
class OutlineEntry:
    """A bookmark: its title, the 1-based page it opens (None when it points nowhere), children."""

    title: str
    page: int | None
    children: tuple[OutlineEntry, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "page": self.page,
            "children": [child.to_json() for child in self.children],
        }

    @staticmethod
    def from_json(data: dict[str, Any]) -> OutlineEntry:
        page = data.get("page")
        return OutlineEntry(
            title=str(data["title"]),
            page=int(page) if page is not None else None,
            children=tuple(OutlineEntry.from_json(child) for child in data.get("children", [])),
        )


@dataclass(frozen=True)
class PageImage:
    """One rendered image of a page; `file` is relative to the manifest."""

    file: str
    width: int
    height: int

    def to_json(self) -> dict[str, Any]:
        return {"file": self.file, "width": self.width, "height": self.height}

    @staticmethod
    def from_json(data: dict[str, Any]) -> PageImage:
        return PageImage(str(data["file"]), int(data["width"]), int(data["height"]))


@dataclass(frozen=True)
class Page:
    """One page. `width`/`height` are the page's size (points for PDFs, pixels for images); only
    their ratio matters to the player. `images` are filled once it is drawn; `text`, `words` and
    `links` once its text is read (a later pass). `failed` holds the reason a page could not be
    drawn: it then has no files, and the player shows a placeholder in its place.
    """

    number: int
    width: float
    height: float
    images: dict[str, PageImage] = field(default_factory=dict)
    text: str | None = None
    links: tuple[Link, ...] = ()
    # Where each word of the page is (for drawing search matches): a JSON file of
    # [[left, top, right, bottom, "word"], ...]; None for pages converted before it existed.
    words: str | None = None
    failed: str | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "number": self.number,
            "width": round(self.width, 3),
            "height": round(self.height, 3),
        }
        if self.images:
            data["images"] = {name: image.to_json() for name, image in self.images.items()}
        if self.text is not None:
            data["text"] = self.text
            data["links"] = [link.to_json() for link in self.links]
            if self.words is not None:
                data["words"] = self.words
        if self.failed is not None:
            data["failed"] = self.failed
        return data

    @staticmethod
    def from_json(data: dict[str, Any]) -> Page:
        images = data.get("images", {})
        failed = data.get("failed")
        return Page(
            number=int(data["number"]),
            width=float(data["width"]),
            height=float(data["height"]),
            images={str(name): PageImage.from_json(image) for name, image in images.items()},
            text=str(data["text"]) if data.get("text") is not None else None,
            links=tuple(Link.from_json(link) for link in data.get("links", [])),
            words=str(data["words"]) if data.get("words") is not None else None,
            failed=str(failed) if failed is not None else None,
        )


@dataclass(frozen=True)
class Manifest:
    """Everything the player needs to show a flipbook, as far as it is converted so far.

    `pages_ready` counts the pages, from the first, whose normal images are written (or which
    could not be drawn): the player may show pages 1..pages_ready. `text_ready` counts those
    whose thumbnails, text, words and links are written too (page 1's thumbnail comes with its
    normal image), and `zoom_ready` those with a zoom image: both come in later passes, so that
    the book is readable sooner.
    """

    kind: str
    pages: tuple[Page, ...]
    outline: tuple[OutlineEntry, ...] = ()
    pages_ready: int = 0
    text_ready: int = 0
    zoom_ready: int = 0
    text_index: str | None = None
    version: int = MANIFEST_VERSION

    @property
    def page_count(self) -> int:
        return len(self.pages)

    @property
    def complete(self) -> bool:
        """Every page drawn and its text read (the zoom pass is not part of it)."""
        return self.pages_ready == self.text_ready == self.page_count

    @property
    def failed_pages(self) -> tuple[int, ...]:
        """Numbers of the pages that could not be drawn (within the ready prefix)."""
        return tuple(page.number for page in self.pages if page.failed is not None)

    def with_pages(self, pages: dict[int, Page], pages_ready: int) -> Manifest:
        """A copy with the pages in `pages` (by number) replaced."""
        merged = tuple(pages.get(page.number, page) for page in self.pages)
        return replace(self, pages=merged, pages_ready=pages_ready)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "kind": self.kind,
            "pageCount": self.page_count,
            "pagesReady": self.pages_ready,
            "textReady": self.text_ready,
            "zoomReady": self.zoom_ready,
            "complete": self.complete,
            "textIndex": self.text_index,
            "outline": [entry.to_json() for entry in self.outline],
            "pages": [page.to_json() for page in self.pages],
        }

    @staticmethod
    def from_json(data: dict[str, Any]) -> Manifest:
        if data.get("version") not in READABLE_VERSIONS:
            raise ValueError(f"unknown manifest version {data.get('version')!r}")
        return Manifest(
            kind=str(data["kind"]),
            pages=tuple(Page.from_json(page) for page in data["pages"]),
            outline=tuple(OutlineEntry.from_json(entry) for entry in data.get("outline", [])),
            pages_ready=int(data["pagesReady"]),
            # Before version 3 a page's text came with its images.
            text_ready=int(data.get("textReady", data["pagesReady"])),
            zoom_ready=int(data.get("zoomReady", 0)),
            text_index=data.get("textIndex"),
        )


def write_manifest(directory: Path, manifest: Manifest) -> Path:
    """Write `manifest.json` atomically, so a reader (or an uploader) never sees half a file."""
    return write_json_atomically(directory / MANIFEST_NAME, manifest.to_json())


class ManifestWriter:
    """Rewrites one flipbook's `manifest.json` as it grows, encoding each page only once.

    A conversion rewrites the manifest many times while its pages complete; encoding every page
    (a busy page has dozens of links) on every write made the parent process spend seconds of CPU
    per large document, CPU the workers rendering on the same cores needed. Pages are frozen, so the
    JSON of a page object that was encoded before is reused; the bytes are those `write_manifest`
    writes.
    """

    def __init__(self, directory: Path) -> None:
        self._path = directory / MANIFEST_NAME
        self._encoded: dict[int, tuple[Page, str]] = {}

    def write(self, manifest: Manifest) -> Path:
        head = manifest.to_json()
        del head["pages"]  # `pages` is the last key of `Manifest.to_json`, so it is appended last
        pages = ",".join(self._page(page) for page in manifest.pages)
        text = f'{_dumps(head)[:-1]},"pages":[{pages}]}}'
        return _write_text_atomically(self._path, text)

    def _page(self, page: Page) -> str:
        cached = self._encoded.get(page.number)
        if cached is not None and cached[0] is page:
            return cached[1]
        text = _dumps(page.to_json())
        self._encoded[page.number] = (page, text)
        return text


def page_texts(manifest: Manifest, read_text: Callable[[str], str], limit: int = 0) -> list[str]:
    """The text of every page, page 1 first, through `read_text` (a file name relative to the
    manifest -> its text): the text index when the converter wrote one, else page by page.
    With `limit`, page files stop being read once that many characters were read (the pages
    after it answer ""); the index is one file and is read whole."""
    if manifest.text_index == TEXT_INDEX_NAME:
        texts = json.loads(read_text(TEXT_INDEX_NAME))
        if isinstance(texts, list) and len(texts) == manifest.page_count:
            return [str(text) for text in texts]
    found: list[str] = []
    total = 0
    for page in manifest.pages:
        text = read_text(page.text) if page.text and (not limit or total < limit) else ""
        total += len(text)
        found.append(text)
    return found


def read_manifest(directory: Path) -> Manifest:
    data = json.loads((directory / MANIFEST_NAME).read_text(encoding="utf-8"))
    return Manifest.from_json(data)


def write_json_atomically(path: Path, data: Any) -> Path:
    return _write_text_atomically(path, _dumps(data))


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def _write_text_atomically(path: Path, text: str) -> Path:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)
    return path
