"""A reader's zoom image, drawn when first asked for and kept in the store (issue 16).

The zoom pass drew every page of every book at one size whether anyone zoomed or not; here a page
is drawn at the width a reader's screen needs, once, and served from the store after that. The
drawing happens in long-lived checker processes (`conversion.checker`, never PDFium in the API
process), at most `processes` at once; the document is read from the store's own file where the
store is a directory, else downloaded once into a cache file that the book's next pages reuse.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Protocol

from flipshelf.domain import layout
from flipshelf.services.ports import FileStore

# Downloaded documents kept for the next pages of the same books (object stores only); the
# least recently used leaves first.
KEEP_SOURCES = 16


class ZoomDrawing(Protocol):
    """Draws one zoom image (`conversion.checker.UploadChecker.draw_zoom`)."""

    def draw_zoom(
        self, path: Path, kind: str, index: int, width: int, dst: Path, seconds: float
    ) -> object: ...

    def close(self) -> None: ...


class ZoomImages:
    """Finds or draws zoom images. Thread-safe; callers coalesce requests for one image."""

    def __init__(
        self, files: FileStore, drawing: ZoomDrawing, work_dir: Path, seconds: float
    ) -> None:
        self._files, self._drawing, self._seconds = files, drawing, seconds
        self._work_dir = work_dir
        self._lock = threading.Lock()
        self._downloads: dict[str, threading.Lock] = {}
        self._sources: OrderedDict[str, Path] = OrderedDict()
        self.drawn = 0  # images drawn by this process (for tests and benchmarks)

    def stored(self, key: str) -> bool:
        """Whether the store holds `key` already."""
        local = self._files.local_path(key)
        if local is not None:
            return local.is_file()
        try:
            self._files.open_read(key).close()
        except FileNotFoundError:
            return False
        return True

    def ensure(self, flipbook_hash: str, extension: str, page: int, width: int) -> str:
        """The key of page `page`'s zoom image `width` wide, drawn first if the store has none
        (a full offline package's images: the same drawing readers get)."""
        key = layout.zoom_image(flipbook_hash, page, width)
        return key if self.stored(key) else self.draw(flipbook_hash, extension, page, width)

    def draw(self, flipbook_hash: str, extension: str, page: int, width: int) -> str:
        """Draws page `page` (from 1) `width` pixels wide into the store; answers its key.
        Raises what `draw_zoom` raises: NoVerdict when busy past the deadline, a ConversionError
        for a page that cannot be drawn."""
        key = layout.zoom_image(flipbook_hash, page, width)
        source = self._source(flipbook_hash, extension)
        self._work_dir.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(dir=self._work_dir, prefix="zoom-", suffix=".jpg")
        os.close(handle)
        target = Path(name)
        try:
            self._drawing.draw_zoom(source, extension, page - 1, width, target, self._seconds)
            self._files.put_file(key, target)
        finally:
            target.unlink(missing_ok=True)
        with self._lock:
            self.drawn += 1
        return key

    def close(self) -> None:
        """Stops the idle drawing processes."""
        self._drawing.close()

    def _source(self, flipbook_hash: str, extension: str) -> Path:
        key = layout.source_key(flipbook_hash, extension)
        local = self._files.local_path(key)
        if local is not None:
            if not local.is_file():
                raise FileNotFoundError(f"no source document for {flipbook_hash}")
            return local
        with self._lock:
            download = self._downloads.setdefault(key, threading.Lock())
        with download:  # one download per document, however many pages are asked at once
            with self._lock:
                cached = self._sources.get(key)
                if cached is not None and cached.is_file():
                    self._sources.move_to_end(key)
                    return cached
            folder = self._work_dir / "zoom-sources"
            folder.mkdir(parents=True, exist_ok=True)
            target = folder / f"{flipbook_hash}.{extension}"
            partial = target.with_suffix(".part")
            self._files.get_file(key, partial)
            partial.replace(target)
            self._remember(key, target)
            return target

    def _remember(self, key: str, path: Path) -> None:
        with self._lock:
            self._sources[key] = path
            while len(self._sources) > KEEP_SOURCES:
                _old, leaving = self._sources.popitem(last=False)
                with contextlib.suppress(OSError):
                    leaving.unlink()
