"""The conversion job (a worker's use case): claim the flipbook, convert it (`conversion`), upload
its pages as they are ready, finish.

Safe to run twice: a claim is a conditional UPDATE, so a duplicate delivery (or a sweep's resend)
of a job that is running or done does nothing. Files are written under names that depend only on
the flipbook and the page, so a rerun after a crash overwrites rather than adds.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import structlog

from flipshelf.conversion import errors
from flipshelf.conversion.convert import convert_document, render_zoom
from flipshelf.conversion.manifest import MANIFEST_NAME, Manifest, read_manifest
from flipshelf.conversion.options import ConversionOptions
from flipshelf.domain import layout
from flipshelf.domain.collections import ClaimedConversion, ConvertStatus
from flipshelf.jobs.outcomes import Abandoned, RetryLater
from flipshelf.services.ports import Clock, ConversionJobs, FileStore

log = structlog.get_logger("flipshelf.jobs")

# How often a running zoom pass tells the database it is alive; the sweep waits two leases of
# silence before it queues the pass again, so this must be well under a lease.
HEARTBEAT_SECONDS = 5.0


@dataclass(frozen=True)
class ConversionContext:
    conversions: ConversionJobs
    files: FileStore
    clock: Clock
    options: ConversionOptions
    lease: timedelta
    attempts: int
    work_dir: Path
    retry_base_seconds: float = 5.0
    # The worker holding the leases it takes (see `jobs.supervisor.lease_owner`).
    owner: str = ""
    # Whether a finished conversion is followed by the zoom pass (setting `zoom_pass`); off,
    # readers' zoom images are drawn on demand (web/zoom.py) and no zoom job is ever queued.
    zoom_pass: bool = False


def run_conversion(ctx: ConversionContext, flipbook_hash: str) -> bool:
    """Converts one flipbook; answers True when it finished it (so a zoom pass may follow)."""
    job = ctx.conversions.claim(flipbook_hash, ctx.clock.now(), ctx.lease, ctx.owner)
    if job is None:
        log.info("conversion not claimed: done, or held by a live worker", flipbook=flipbook_hash)
        return False
    if job.attempts > ctx.attempts:
        # Every earlier attempt ended with its worker dead (killed, out of memory): this
        # document would take the next worker down too.
        _fail(ctx, job, errors.WORKER_DIED)
        return False
    log.info("conversion started", flipbook=flipbook_hash, attempt=job.attempts)
    ctx.work_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=ctx.work_dir, prefix="convert-") as scratch:
        try:
            manifest = _convert(ctx, job, Path(scratch))
        except Abandoned:
            log.warning("conversion lost its lease", flipbook=flipbook_hash)
            return False
        except (errors.UnsupportedDocument, errors.PageLimitExceeded) as refused:
            _fail(ctx, job, refused.reason)
            return False
        except Exception as failure:
            return _transient(ctx, job, failure)
    finished = ctx.conversions.finish(
        job,
        ctx.clock.now(),
        ConvertStatus.COMPLETE,
        page_count=manifest.page_count,
        failed_pages=manifest.failed_pages,
    )
    log.info(
        "conversion complete",
        flipbook=flipbook_hash,
        pages=manifest.page_count,
        failed_pages=list(manifest.failed_pages),
    )
    return finished


def _fail(ctx: ConversionContext, job: ClaimedConversion, reason: str) -> None:
    ctx.conversions.finish(job, ctx.clock.now(), ConvertStatus.FAILED, error=reason)
    log.info("conversion failed", flipbook=job.flipbook_hash, reason=reason)


def _transient(ctx: ConversionContext, job: ClaimedConversion, failure: Exception) -> bool:
    reason = failure.reason if isinstance(failure, errors.ConversionError) else "conversion error"
    if job.attempts >= ctx.attempts:
        log.error("conversion failed for good", flipbook=job.flipbook_hash, exc_info=failure)
        _fail(ctx, job, reason)
        return False
    delay = ctx.retry_base_seconds * 2 ** (job.attempts - 1)
    log.warning(
        "conversion will be retried", flipbook=job.flipbook_hash, delay=delay, exc_info=failure
    )
    ctx.conversions.release(job, ctx.clock.now() + timedelta(seconds=delay))
    raise RetryLater(delay) from failure


def _fetch_source(ctx: ConversionContext, job: ClaimedConversion, scratch: Path) -> Path:
    local = ctx.files.local_path(job.source_key)
    if local is not None:
        return local
    target = scratch / f"source.{job.extension}"
    ctx.files.get_file(job.source_key, target)
    return target


def _convert(ctx: ConversionContext, job: ClaimedConversion, scratch: Path) -> Manifest:
    source = _fetch_source(ctx, job, scratch)
    direct = ctx.files.local_path(layout.book_prefix(job.flipbook_hash))
    out_dir = direct if direct is not None else scratch / "book"
    if direct is not None and direct.exists():
        shutil.rmtree(direct)  # a rerun starts clean: no page of an earlier attempt survives
    publisher = BookUploader(ctx.files, job.flipbook_hash, out_dir, remote=direct is None)

    def on_progress(pages_ready: int, page_count: int) -> None:
        publisher.publish()
        alive = ctx.conversions.progress(job, ctx.clock.now(), ctx.lease, pages_ready, page_count)
        if not alive:
            raise Abandoned()

    manifest = convert_document(source, out_dir, ctx.options, on_progress)
    publisher.publish()
    return manifest


def run_zoom(ctx: ConversionContext, flipbook_hash: str, source_key: str) -> bool:
    """The later pass: zoom-size images, a job of its own. Answers False when there was
    nothing to do (done already, a duplicate message, or no attempts left). While it runs it
    shows progress, so the sweep leaves it alone; if its worker dies or its message is lost, the
    sweep queues it again. At the end the collection's version moves on, for offline packages
    to include the new images."""
    if not ctx.conversions.zoom_start(flipbook_hash, ctx.clock.now(), ctx.attempts):
        return False
    direct = ctx.files.local_path(layout.book_prefix(flipbook_hash))
    heartbeat = _Heartbeat(ctx, flipbook_hash)
    with tempfile.TemporaryDirectory(dir=ctx.work_dir, prefix="zoom-") as scratch:
        work = Path(scratch)
        out_dir = direct if direct is not None else _download_book(ctx, flipbook_hash, work)
        local = ctx.files.local_path(source_key)
        if local is None:
            local = work / "source"
            ctx.files.get_file(source_key, local)
        publisher = BookUploader(
            ctx.files, flipbook_hash, out_dir, remote=direct is None, zoom=True
        )

        def on_progress(_ready: int, _count: int) -> None:
            publisher.publish()
            heartbeat.beat()

        render_zoom(local, out_dir, ctx.options, on_progress)
        publisher.publish()
    ctx.conversions.zoomed(flipbook_hash, ctx.clock.now())
    return True


class _Heartbeat:
    """Tells the database a zoom pass is alive, at most once per `HEARTBEAT_SECONDS`."""

    def __init__(self, ctx: ConversionContext, flipbook_hash: str) -> None:
        self._ctx, self._flipbook = ctx, flipbook_hash
        self._last = time.monotonic()

    def beat(self) -> None:
        if time.monotonic() - self._last >= HEARTBEAT_SECONDS:
            self._last = time.monotonic()
            self._ctx.conversions.zoom_alive(self._flipbook, self._ctx.clock.now())


def _download_book(ctx: ConversionContext, flipbook_hash: str, work: Path) -> Path:
    out_dir = work / "book"
    out_dir.mkdir(parents=True)
    ctx.files.get_file(layout.book_file(flipbook_hash, MANIFEST_NAME), out_dir / MANIFEST_NAME)
    return out_dir


class BookUploader:
    """Copies a book's finished pages to a remote store, the manifest last, so a reader who sees
    a page in the manifest can always load its files. A local store needs nothing: the converter
    wrote straight into it."""

    def __init__(
        self,
        files: FileStore,
        flipbook_hash: str,
        out_dir: Path,
        *,
        remote: bool,
        zoom: bool = False,
    ) -> None:
        self._files, self._flipbook, self._out = files, flipbook_hash, out_dir
        self._remote, self._zoom = remote, zoom
        self._sent: set[str] = set()

    def publish(self) -> None:
        if not self._remote:
            return
        manifest = read_manifest(self._out)
        for name in _ready_files(manifest, self._zoom):
            if name not in self._sent:
                self._files.put_file(layout.book_file(self._flipbook, name), self._out / name)
                self._sent.add(name)
        manifest_key = layout.book_file(self._flipbook, MANIFEST_NAME)
        self._files.put_file(manifest_key, self._out / MANIFEST_NAME)


def _ready_files(manifest: Manifest, zoom: bool) -> list[str]:
    ready = manifest.zoom_ready if zoom else manifest.pages_ready
    names: list[str] = []
    for page in manifest.pages[:ready]:
        names.extend(image.file for size, image in page.images.items() if (size == "zoom") == zoom)
        if page.text and not zoom:
            names.append(page.text)
        if page.words and not zoom:
            names.append(page.words)
    if manifest.text_index and manifest.complete and not zoom:
        names.append(manifest.text_index)
    return names
