"""Convert a document into a flipbook's files, in worker processes, publishing progress as it goes.

`convert_document` makes everything a reader needs in two passes over the pages: first the normal
images (the book is readable once they are all written: `pagesReady`), then the thumbnails, text,
word boxes and links (`textReady`), with the outline and the manifest. `render_zoom` adds
the large images in a later job. Work a reader needs later is done later, so the book is readable
sooner. Both write only into the caller's output directory, with names of our choosing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Generic, TypeVar

from flipshelf.conversion import errors
from flipshelf.conversion.detection import document_kind
from flipshelf.conversion.manifest import (
    TEXT_INDEX_NAME,
    Manifest,
    ManifestWriter,
    Page,
    PageImage,
    read_manifest,
    write_json_atomically,
)
from flipshelf.conversion.messages import (
    Count,
    Counted,
    Describe,
    Described,
    DrawPage,
    DrawZoom,
    PageDrawn,
    ReadText,
    Refused,
    ZoomDrawn,
    expect,
)
from flipshelf.conversion.options import ConversionOptions
from flipshelf.conversion.pages import PAGES_DIR, TEXT_DIR
from flipshelf.conversion.pool import Received, Worker, WorkerPool
from flipshelf.conversion.progress import ReadyPrefix, WritePolicy
from flipshelf.conversion.worker import WorkerJob

_T = TypeVar("_T")

ProgressCallback = Callable[[int, int], None]
"""Called as `on_progress(pages_ready, page_count)` each time the manifest on disk is updated."""

# Commands in flight per worker: the second hides the round trip to the parent between pages.
PIPELINE_DEPTH = 2


def convert_document(
    source: Path,
    out_dir: Path,
    options: ConversionOptions | None = None,
    on_progress: ProgressCallback | None = None,
) -> Manifest:
    """Render the normal image of every page into `out_dir`, then make their thumbnails and read
    their text, word boxes and links.

    Raises UnsupportedDocument (not a PDF/JPEG/PNG, corrupt, encrypted, too large an image),
    PageLimitExceeded (before any page is rendered) or ConversionFailed. When `on_progress` is
    called, `manifest.json` and the files it names are complete on disk: normal images of pages
    1..pages_ready, and thumbnails and text of pages 1..text_ready (page 1's thumbnail with its
    normal image). The first call with `pages_ready ==
    page_count` is the moment every page can be read; later calls (`pages_ready` stays at
    `page_count`) add the text.
    """
    options = options or ConversionOptions()
    kind = document_kind(source)
    _prepare(out_dir)
    with WorkerPool(WorkerJob(source, kind, out_dir, options)) as pool:
        first = pool.start()
        page_count = _count(pool, first)
        check_page_limit(page_count, options.max_pages)
        publisher = _PagePublisher(out_dir, _initial(pool, first, kind), options, on_progress)
        _start_more(pool, options.workers, page_count)
        _run(pool, DrawPage, range(page_count), publisher.page_done)
        drawn = publisher.finish()
        texts = _TextPublisher(out_dir, drawn, options, on_progress)
        failed = set(drawn.failed_pages)
        for number in sorted(failed):
            texts.skip(number)
        readable = [index for index in range(page_count) if index + 1 not in failed]
        _run(pool, ReadText, readable, texts.text_done)
    return texts.finish()


def render_zoom(
    source: Path,
    out_dir: Path,
    options: ConversionOptions | None = None,
    on_progress: ProgressCallback | None = None,
) -> Manifest:
    """Add the zoom image of every page to a flipbook `convert_document` completed in `out_dir`.

    `on_progress(zoom_ready, page_count)` follows the same contract as for `convert_document`.
    """
    options = options or ConversionOptions()
    manifest = read_manifest(out_dir)
    if not manifest.complete:
        raise ValueError("the flipbook's pages are not all converted yet")
    kind = document_kind(source)
    _prepare(out_dir)  # an object store's book arrives here as its manifest alone
    publisher = _ZoomPublisher(out_dir, manifest, options, on_progress)
    # A page that could not be drawn has no zoom image either: it is done already.
    failed = set(manifest.failed_pages)
    for number in sorted(failed):
        publisher.skip(number)
    drawable = [index for index in range(manifest.page_count) if index + 1 not in failed]
    with WorkerPool(WorkerJob(source, kind, out_dir, options)) as pool:
        _start_more(pool, options.workers, len(drawable))
        _run(pool, DrawZoom, drawable, publisher.zoom_done)
    return publisher.finish()


def check_page_limit(page_count: int, max_pages: int) -> None:
    if page_count > max_pages:
        raise errors.PageLimitExceeded(page_count, max_pages)


def _prepare(out_dir: Path) -> None:
    for name in (PAGES_DIR, TEXT_DIR):
        (out_dir / name).mkdir(parents=True, exist_ok=True)


def _count(pool: WorkerPool, worker: Worker) -> int:
    pool.send(worker, Count())
    return expect(pool.receive()[1], Counted).count


def _initial(pool: WorkerPool, worker: Worker, kind: str) -> Manifest:
    """The manifest before any page is rendered: every page's size, and the outline."""
    pool.send(worker, Describe())
    facts = expect(pool.receive()[1], Described)
    pages = tuple(
        Page(number=number, width=width, height=height)
        for number, (width, height) in enumerate(facts.sizes, start=1)
    )
    return Manifest(kind=kind, pages=pages, outline=facts.outline)


def _start_more(pool: WorkerPool, workers: int, page_count: int) -> None:
    while len(pool.workers) < max(1, min(workers, page_count)):
        pool.start()


def _run(
    pool: WorkerPool,
    draw: Callable[[int], DrawPage | ReadText | DrawZoom],
    pages: Iterable[int],
    on_answer: Callable[[Received], None],
) -> None:
    """Hand the pages (indices from 0) out in order, to whichever worker is free, until every
    one is answered.

    In order, and one page at a time rather than in ranges, so that finished pages form a prefix
    early: the reader can start on page 1 while page 900 is still waiting.
    """
    indices: Iterator[int] = iter(pages)
    for _ in range(PIPELINE_DEPTH):
        for worker in pool.workers:
            _send_next(pool, worker, draw, indices)
    while any(worker.outstanding for worker in pool.workers):
        received = pool.receive()
        on_answer(received)
        _send_next(pool, received.worker, draw, indices)


def _send_next(
    pool: WorkerPool,
    worker: Worker,
    draw: Callable[[int], DrawPage | ReadText | DrawZoom],
    indices: Iterator[int],
) -> None:
    index = next(indices, None)
    if index is not None:
        pool.send(worker, draw(index))


class _Publisher(Generic[_T]):
    """Rewrites the manifest as the ready prefix of pages grows: at once for the first page and
    the last, otherwise at most every `manifest_interval` seconds. Subclasses say what a finished
    page adds to the manifest (`_publish`); `_held` keeps it, by page number, until the prefix
    reaches that page."""

    def __init__(
        self,
        out_dir: Path,
        manifest: Manifest,
        options: ConversionOptions,
        on_progress: ProgressCallback | None,
    ) -> None:
        self._out_dir = out_dir
        self._writer = ManifestWriter(out_dir)
        self.manifest = manifest
        self._prefix = ReadyPrefix(manifest.page_count)
        self._policy = WritePolicy(options.manifest_interval)
        self._on_progress = on_progress
        self._held: dict[int, _T] = {}

    def _finished(self, number: int) -> None:
        ready = self._prefix.finish(number)
        now = time.monotonic()
        if self._policy.due(ready, self.manifest.page_count, now):
            self._publish(ready)
            self._policy.written(ready, now)

    def _publish(self, ready: int) -> None:
        raise NotImplementedError

    def _write(self, ready: int) -> None:
        self._writer.write(self.manifest)
        if self._on_progress is not None:
            self._on_progress(ready, self.manifest.page_count)


class _PagePublisher(_Publisher[Page]):
    """The first pass: the normal image of each page, counted in `pagesReady`."""

    def page_done(self, received: Received) -> None:
        """A drawn page, or one that could not be drawn: the book goes on without it (marked
        `failed`, shown as a placeholder). Only the whole pool failing fails the book."""
        answer, command = received.answer, received.command
        # "failed" (an unexpected error in the worker, maybe a full disk) is no fault of the
        # page's: it fails the attempt, which is retried.
        if (
            isinstance(answer, Refused)
            and answer.kind != "failed"
            and isinstance(command, DrawPage)
        ):
            number = command.index + 1
            blank = self.manifest.pages[number - 1]
            page = Page(number, blank.width, blank.height, failed=answer.reason)
        else:
            page = expect(answer, PageDrawn).page
        self._held[page.number] = page
        self._finished(page.number)

    def _publish(self, ready: int) -> None:
        self.manifest = self.manifest.with_pages(_take_upto(self._held, ready), ready)
        self._write(ready)

    def finish(self) -> Manifest:
        """Write the manifest of a readable book. A book none of whose pages could be drawn is
        refused as a whole, with the first page's reason."""
        ready = self._prefix.ready
        self.manifest = self.manifest.with_pages(_take_upto(self._held, ready), ready)
        if len(self.manifest.failed_pages) == self.manifest.page_count:
            raise errors.UnsupportedDocument(self.manifest.pages[0].failed or errors.CORRUPT_PDF)
        self._write(ready)
        return self.manifest


class _TextPublisher(_Publisher[Page]):
    """The second pass: each page's thumbnail, text, word boxes and links, counted in
    `textReady`."""

    def text_done(self, received: Received) -> None:
        """A page's text. A page whose text cannot be read (the file's fault) keeps its images
        and has no text; anything else fails the attempt, as in the first pass."""
        answer, command = received.answer, received.command
        if not isinstance(command, ReadText):
            raise errors.ConversionFailed(errors.RENDERER_CRASHED)
        number = command.index + 1
        page = self.manifest.pages[number - 1]
        if not (isinstance(answer, Refused) and answer.kind != "failed"):
            read = expect(answer, PageDrawn).page
            images = {**page.images, **read.images}  # the thumbnail
            page = replace(page, images=images, text=read.text, links=read.links, words=read.words)
        self._held[number] = page
        self._finished(number)

    def skip(self, number: int) -> None:
        """Page `number` has no text to wait for (it could not be drawn at all)."""
        self._held[number] = self.manifest.pages[number - 1]
        self._finished(number)

    def _publish(self, ready: int) -> None:
        pages = _take_upto(self._held, ready)
        self.manifest = replace(
            self.manifest.with_pages(pages, self.manifest.pages_ready), text_ready=ready
        )
        self._write(self.manifest.pages_ready)

    def finish(self) -> Manifest:
        """Write the search index and the final manifest."""
        if self.manifest.text_ready != self._prefix.ready:
            self._publish(self._prefix.ready)
        texts = [
            (self._out_dir / page.text).read_text(encoding="utf-8") if page.text else ""
            for page in self.manifest.pages
        ]
        write_json_atomically(self._out_dir / TEXT_INDEX_NAME, texts)
        self.manifest = replace(self.manifest, text_index=TEXT_INDEX_NAME)
        self._write(self.manifest.pages_ready)
        return self.manifest


class _ZoomPublisher(_Publisher[PageImage]):
    """The zoom pass: each page's zoom image, counted in `zoomReady`."""

    def zoom_done(self, received: Received) -> None:
        drawn = expect(received.answer, ZoomDrawn)
        number = drawn.index + 1
        self._held[number] = drawn.image
        self._finished(number)

    def skip(self, number: int) -> None:
        """Page `number` has no zoom image to wait for (it could not be drawn at all)."""
        self._finished(number)

    def _publish(self, ready: int) -> None:
        pages = {
            number: replace(
                self.manifest.pages[number - 1],
                images={**self.manifest.pages[number - 1].images, "zoom": image},
            )
            for number, image in _take_upto(self._held, ready).items()
        }
        self.manifest = replace(
            self.manifest.with_pages(pages, self.manifest.pages_ready), zoom_ready=ready
        )
        self._write(ready)

    def finish(self) -> Manifest:
        if self.manifest.zoom_ready != self._prefix.ready:
            self._publish(self._prefix.ready)
        return self.manifest


def _take_upto(finished: dict[int, _T], ready: int) -> dict[int, _T]:
    """Remove and return the entries for pages 1..ready. Pages finished out of order stay out of
    the manifest until the prefix reaches them, so every file the manifest names is for a page
    within `pagesReady` (an uploader may copy exactly those)."""
    taken = {number: item for number, item in finished.items() if number <= ready}
    for number in taken:
        del finished[number]
    return taken
