"""Writes the offline package of a collection: one zip, streamed to a file, never held in memory.

Layout (docs/packages.md):

    index.html                     the player page, opened from disk
    player/...                     the player's scripts, styles and vendored code
    data/collection.js             window.FLIPSHELF_OFFLINE = {config, books: {}}
    data/<n>.js                    book n's manifest and page text, added to that object
    books/<n>/pages/NNNN-<size>.jpg  book n's page images, as the converter made them
    books/<n>/zoom/<page>-<width>.jpg  a full package's zoom images drawn on demand (no zoom pass)
    assets/logo.<ext>, assets/background.<ext>

Every entry name is made here from numbers and fixed words, or is a converter-made file name
checked against the converter's own pattern: nothing from a title, a client or a document. Data
ships as scripts because browsers refuse fetch/XHR of local files on file://. Images are stored
as they are (JPEG does not compress again); text and scripts are deflated.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from PIL import Image

from flipshelf.conversion.manifest import MANIFEST_NAME, Manifest, PageImage, page_texts
from flipshelf.conversion.options import ZOOM
from flipshelf.domain.collections import Collection, ConvertStatus, Flipbook
from flipshelf.domain.layout import book_file
from flipshelf.player.config import PlayerConfig
from flipshelf.player.escaping import script_json
from flipshelf.services.ports import FileStore

COPY_BUFFER = 1024 * 1024
# A page image or text file as the converter names it (conversion/pages.py), nothing else.
_BOOK_FILE = re.compile(
    r"(pages/[0-9]{4,7}-[a-z]+\.jpg|text/[0-9]{4,7}(\.txt|-words\.json)|zoom/[0-9]{1,7}-[0-9]{3,5}\.jpg)"
)
# What any entry name may look like: ASCII segments of letters, digits, `-` and `_` with dotted
# extensions; never absolute, never `..`, no backslash, no space.
_SEGMENT = r"[A-Za-z0-9][A-Za-z0-9_-]*(\.[A-Za-z0-9]+)*"
_ENTRY = re.compile(rf"{_SEGMENT}(/{_SEGMENT})*")
_ASSET_EXTENSIONS = frozenset({"jpg", "png", "gif", "webp"})
FILE_MODE = 0o644 << 16  # unzip gives readable files, never executable ones


class UnsafeEntry(ValueError):
    """An entry name that is not one the builder makes: a bug, or a tampered manifest."""


@dataclass(frozen=True)
class OfflineBook:
    """One flipbook as the package holds it."""

    number: int  # 1-based, in collection order: its files live under books/<number>/
    flipbook: Flipbook
    manifest: Manifest

    @property
    def base(self) -> str:
        return f"books/{self.number}/"

    @property
    def script(self) -> str:
        return f"data/{self.number}.js"


class OfflinePlayer(Protocol):
    """The player, as the package needs it: its files, and its page for file://."""

    def assets(self) -> Iterable[tuple[str, Path]]:
        """(path under player/, file on disk) for every static file the player page loads."""
        ...

    def generated(self) -> Iterable[tuple[str, str]]:
        """(path under player/, text) for the files made from them (the scripts as one)."""
        ...

    def config(
        self,
        collection: Collection,
        books: list[OfflineBook],
        logo: str | None,
        background: str | None,
    ) -> PlayerConfig:
        """The player's configuration for the package, with relative file paths."""
        ...

    def index_html(self, collection: Collection, config: PlayerConfig, scripts: list[str]) -> str:
        """The page: loads player/..., then the data scripts, from paths relative to it."""
        ...


def checked_entry(name: str) -> str:
    if not _ENTRY.fullmatch(name) or ".." in name:
        raise UnsafeEntry(f"not a package entry name: {name!r}")
    return name


class PackageWriter:
    """Adds entries to a zip being written to a seekable file (zipfile fixes each stored entry's
    header after its data, so nothing is buffered)."""

    def __init__(
        self, target: BinaryIO, files: FileStore, moment: datetime, on_entry: Callable[[], None]
    ) -> None:
        self._zip = zipfile.ZipFile(target, "w", allowZip64=True)
        self._files = files
        self._date = (max(moment.year, 1980), moment.month, moment.day, moment.hour,
                      moment.minute, moment.second)  # fmt: skip
        self._on_entry = on_entry
        self.names: list[str] = []

    def _info(self, name: str, compress: int) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(checked_entry(name), self._date)
        info.compress_type = compress
        info.external_attr = FILE_MODE
        return info

    def add_text(self, name: str, text: str) -> None:
        info = self._info(name, zipfile.ZIP_DEFLATED)
        self._zip.writestr(info, text.encode("utf-8"), compresslevel=6)
        self._added(name)

    def add_stored(self, name: str, key: str) -> None:
        """A stored file, copied as it is (images: JPEG does not compress again)."""
        self._copy(name, key, zipfile.ZIP_STORED)

    def add_file(self, name: str, source: Path, compress: int = zipfile.ZIP_DEFLATED) -> None:
        info = self._info(name, compress)
        info.file_size = source.stat().st_size
        with source.open("rb") as data, self._zip.open(info, "w") as out:
            shutil.copyfileobj(data, out, COPY_BUFFER)
        self._added(name)

    def _copy(self, name: str, key: str, compress: int) -> None:
        info = self._info(name, compress)
        with self._open(key) as data:
            size = _size_of(data)
            if size is not None:
                info.file_size = size  # lets zipfile choose ZIP64 up front for a huge entry
            with self._zip.open(info, "w") as out:
                shutil.copyfileobj(data, out, COPY_BUFFER)
        self._added(name)

    @contextmanager
    def _open(self, key: str) -> Iterator[BinaryIO]:
        local = self._files.local_path(key)
        with local.open("rb") if local is not None else self._files.open_read(key) as data:
            yield data

    def read_text(self, key: str) -> str:
        with self._open(key) as data:
            return data.read().decode("utf-8")

    def _added(self, name: str) -> None:
        self.names.append(name)
        self._on_entry()

    def close(self) -> None:
        self._zip.close()


def _size_of(data: BinaryIO) -> int | None:
    try:
        return os.fstat(data.fileno()).st_size
    except (OSError, ValueError, AttributeError):
        return None


def offline_books(
    collection: Collection, read_manifest: Callable[[str], Manifest]
) -> list[OfflineBook]:
    """The collection's converted flipbooks, numbered in order; failed ones have nothing to show."""
    ready = [item for item in collection.items if item.convert_status is ConvertStatus.COMPLETE]
    return [OfflineBook(n, item, read_manifest(item.hash)) for n, item in enumerate(ready, start=1)]


def _book_files(manifest: Manifest) -> Iterator[tuple[str, str]]:
    """(size or "text", file name) of every ready page's files, checked against the pattern."""
    for page in manifest.pages[: manifest.pages_ready]:
        for size, image in page.images.items():
            if not _BOOK_FILE.fullmatch(image.file):
                raise UnsafeEntry(f"unexpected page file in a manifest: {image.file!r}")
            yield size, image.file
        for text in (page.text, page.words):
            if text is not None:
                if not _BOOK_FILE.fullmatch(text):
                    raise UnsafeEntry(f"unexpected text file in a manifest: {text!r}")
                yield "text", text


def _page_texts(writer: PackageWriter, book: OfflineBook) -> list[str]:
    """The text of every page, page 1 first: the search index when the converter wrote one."""
    return page_texts(
        book.manifest, lambda name: writer.read_text(book_file(book.flipbook.hash, name))
    )


def _page_words(writer: PackageWriter, book: OfflineBook) -> list[Any]:
    """Where each page's words are (search matches drawn on the page), None for a page
    converted before word positions were kept."""
    return [
        json.loads(writer.read_text(book_file(book.flipbook.hash, page.words)))
        if page.words
        else None
        for page in book.manifest.pages
    ]


def without_zoom(manifest: Manifest) -> Manifest:
    """The manifest as if the zoom pass had not run: no zoom images named, zoomReady 0."""
    pages = tuple(
        replace(page, images={k: v for k, v in page.images.items() if k != ZOOM.name})
        for page in manifest.pages
    )
    return replace(manifest, pages=pages, zoom_ready=0)


def with_zoom_images(manifest: Manifest, images: Mapping[int, PageImage]) -> Manifest:
    """The manifest naming `images` (by page number) as the zoom images of those pages: what a
    full package carries for pages its book's zoom pass never drew (drawn on demand instead)."""
    pages = tuple(
        replace(page, images={**page.images, ZOOM.name: images[page.number]})
        if page.number in images
        else page
        for page in manifest.pages
    )
    return replace(manifest, pages=pages)


def image_size(files: FileStore, key: str) -> tuple[int, int]:
    """A stored image's width and height, from its header."""
    local = files.local_path(key)
    data = local.open("rb") if local is not None else files.open_read(key)
    with data, Image.open(data) as image:
        return image.width, image.height


def _asset_name(role: str, key: str | None) -> str | None:
    if key is None:
        return None
    extension = key.rsplit(".", 1)[-1]
    return f"assets/{role}.{extension if extension in _ASSET_EXTENSIONS else 'bin'}"


def write_package(
    writer: PackageWriter,
    collection: Collection,
    books: list[OfflineBook],
    player: OfflinePlayer,
    zoom_images: bool = True,
) -> None:
    """Every entry of the package, images first (the bulk), the page that opens it last.
    Without `zoom_images` (the lean package) the zoom images stay out, and so do they from the
    manifests it carries: the player then zooms into the normal images, as it does before a
    flipbook's zoom pass."""
    for book in books:
        manifest = book.manifest if zoom_images else without_zoom(book.manifest)
        for size, name in _book_files(manifest):
            if size != "text":
                writer.add_stored(book.base + name, book_file(book.flipbook.hash, name))
        data = {
            "base": book.base,
            "manifest": manifest.to_json(),
            "text": _page_texts(writer, book),
            "words": _page_words(writer, book),
        }
        key = script_json(book.flipbook.hash)
        line = f"window.FLIPSHELF_OFFLINE.books[{key}] = {script_json(data)};\n"
        writer.add_text(book.script, line)
    logo = _asset_name("logo", collection.logo_key)
    background = _asset_name("background", collection.background_key)
    if logo and collection.logo_key:
        writer.add_stored(logo, collection.logo_key)
    if background and collection.background_key:
        writer.add_stored(background, collection.background_key)
    for name, source in player.assets():
        writer.add_file(f"player/{name}", source)
    for name, text in player.generated():
        writer.add_text(f"player/{name}", text)
    config = player.config(collection, books, logo, background)
    writer.add_text(
        "data/collection.js",
        f"window.FLIPSHELF_OFFLINE = {{config: {script_json(config.to_json())}, books: {{}}}};\n",
    )
    scripts = ["data/collection.js", *(book.script for book in books)]
    writer.add_text("index.html", player.index_html(collection, config, scripts))


def manifest_reader(files: FileStore) -> Callable[[str], Manifest]:
    def read(flipbook_hash: str) -> Manifest:
        key = book_file(flipbook_hash, MANIFEST_NAME)
        local = files.local_path(key)
        with local.open("rb") if local is not None else files.open_read(key) as data:
            return Manifest.from_json(json.loads(data.read()))

    return read
