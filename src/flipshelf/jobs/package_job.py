"""The package build job (a worker's use case): claim the package, write its zip to a temp file,
store it, finish.

Safe to run twice: a claim is a conditional UPDATE, so a duplicate delivery (or a sweep's resend)
of a build that is running or done does nothing; the outcome lands only while this build's lease
token (`attempts`) holds. A half-built package is never served: the zip is written to a temp
file, stored create-only under a key of this attempt, and only then marked COMPLETE.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

import structlog

from flipshelf.conversion.manifest import PageImage
from flipshelf.conversion.options import ZOOM
from flipshelf.domain import layout
from flipshelf.domain.collections import Collection
from flipshelf.domain.packages import ClaimedBuild, download_name, last_of_round
from flipshelf.domain.zoom import PACKAGE_ZOOM_WIDTH
from flipshelf.jobs.outcomes import Abandoned, RetryLater
from flipshelf.packaging.build import (
    OfflineBook,
    OfflinePlayer,
    PackageWriter,
    image_size,
    manifest_reader,
    offline_books,
    with_zoom_images,
    write_package,
)
from flipshelf.services.ports import Clock, Collections, FileStore, PackageBuilds
from flipshelf.services.zoom_images import ZoomImages

log = structlog.get_logger("flipshelf.jobs")


@dataclass(frozen=True)
class PackageContext:
    packages: PackageBuilds
    collections: Collections
    files: FileStore
    clock: Clock
    player: OfflinePlayer
    lease: timedelta
    attempts: int
    work_dir: Path
    retry_base_seconds: float = 5.0
    # The worker holding the leases it takes (see `jobs.supervisor.lease_owner`).
    owner: str = ""
    # Draws the zoom images a full package needs that no zoom pass made (None: none drawn).
    zoom: ZoomImages | None = None


def run_package_build(ctx: PackageContext, package_id: int) -> bool:
    """Builds one package; answers True when this run completed it."""
    build = ctx.packages.claim(package_id, ctx.clock.now(), ctx.lease, ctx.owner)
    if build is None:
        log.info("package not claimed: done, or held by a live worker", package=package_id)
        return False
    collection = ctx.collections.get(build.collection_hash)
    if collection is None or collection.is_deleted:
        ctx.packages.fail(build, ctx.clock.now(), "the collection was deleted")
        return False
    if collection.version != build.version:
        # Nobody can ask for this version any more; its successor gets its own package.
        ctx.packages.fail(build, ctx.clock.now(), "the collection changed before the build")
        return False
    log.info("package build started", package=package_id, attempt=build.attempts)
    ctx.work_dir.mkdir(parents=True, exist_ok=True)
    temp = ctx.work_dir / f"package-{build.package_id}-{build.attempts}.zip.tmp"
    try:
        key, size = _build_and_store(ctx, build, collection, temp)
    except Abandoned:
        log.warning("package build lost its lease", package=package_id)
        return False
    except Exception as failure:
        return _transient(ctx, build, failure)
    finally:
        temp.unlink(missing_ok=True)
    if not ctx.packages.complete(build, ctx.clock.now(), key, size):
        # Taken over: the other build stores its own.
        ctx.files.delete_prefix(layout.package_attempt_prefix(key))
        return False
    log.info("package complete", package=package_id, bytes=size)
    return True


def _build_and_store(
    ctx: PackageContext, build: ClaimedBuild, collection: Collection, temp: Path
) -> tuple[str, int]:
    renewal = _LeaseRenewal(ctx, build)
    books = offline_books(collection, manifest_reader(ctx.files))
    if build.variant.zoom_images and ctx.zoom is not None:
        books = [_with_drawn_zoom(ctx.files, ctx.zoom, book, renewal.tick) for book in books]
    with temp.open("xb") as out:
        writer = PackageWriter(out, ctx.files, collection.updated_at, renewal.tick)
        try:
            write_package(writer, collection, books, ctx.player, build.variant.zoom_images)
        finally:
            writer.close()  # on failure too: the temp file is dropped, the zip object closed
        out.flush()
        os.fsync(out.fileno())
        size = out.tell()
    renewal.renew()  # the store step may take a while on a remote store
    name = download_name(collection.title, collection.hash, suffix=build.variant.name_suffix)
    key = layout.package_key(build.collection_hash, build.package_id, build.attempts, name)
    ctx.files.adopt_file(key, temp, create_only=True, attachment=name)
    return key, size


def _with_drawn_zoom(
    files: FileStore, zoom: ZoomImages, book: OfflineBook, tick: Callable[[], None]
) -> OfflineBook:
    """The book with a zoom image for every ready page: the zoom pass's where it ran, else the
    on-demand image of PACKAGE_ZOOM_WIDTH (drawn now unless a reader had it drawn already)."""
    flipbook, manifest = book.flipbook, book.manifest
    drawn: dict[int, PageImage] = {}
    for page in manifest.pages[: manifest.pages_ready]:
        if ZOOM.name in page.images or page.failed is not None or not page.images:
            continue
        try:
            key = zoom.ensure(flipbook.hash, flipbook.extension, page.number, PACKAGE_ZOOM_WIDTH)
            width, height = image_size(files, key)
        except FileNotFoundError:
            log.warning("no source to draw zoom images from", flipbook=flipbook.hash)
            break
        except Exception as failure:
            # The package goes on without it: its player zooms into the normal image there.
            log.warning(
                "zoom image not drawn",
                flipbook=flipbook.hash,
                page=page.number,
                error=type(failure).__name__,
            )
            continue
        name = layout.zoom_image_name(page.number, PACKAGE_ZOOM_WIDTH)
        drawn[page.number] = PageImage(name, width, height)
        tick()
    return replace(book, manifest=with_zoom_images(manifest, drawn)) if drawn else book


class _LeaseRenewal:
    """Renews the lease while the zip is written, a few times per lease, never per entry."""

    def __init__(self, ctx: PackageContext, build: ClaimedBuild) -> None:
        self._ctx, self._build = ctx, build
        self._every = ctx.lease.total_seconds() / 3
        self._last = time.monotonic()

    def tick(self) -> None:
        if time.monotonic() - self._last >= self._every:
            self.renew()

    def renew(self) -> None:
        self._last = time.monotonic()
        if not self._ctx.packages.renew(self._build, self._ctx.clock.now(), self._ctx.lease):
            raise Abandoned()


def _transient(ctx: PackageContext, build: ClaimedBuild, failure: Exception) -> bool:
    if last_of_round(build.attempts, ctx.attempts):
        log.error("package build failed for good", package=build.package_id, exc_info=failure)
        ctx.packages.fail(build, ctx.clock.now(), "the package could not be built")
        return False
    delay = ctx.retry_base_seconds * 2 ** ((build.attempts - 1) % ctx.attempts)
    log.warning(
        "package build will be retried", package=build.package_id, delay=delay, exc_info=failure
    )
    ctx.packages.release(build, ctx.clock.now() + timedelta(seconds=delay))
    raise RetryLater(delay) from failure
