"""The worker use cases on in-memory ports (tests/fakes.py) and the memory file store: no SQL.

The memory store keeps no file on a local disk, so these also take the path an object store
(S3) takes: converted pages are uploaded as they are ready, and the zoom pass starts from the
stored manifest alone.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError
from structlog.testing import capture_logs

from flipshelf.conversion import errors
from flipshelf.conversion.manifest import MANIFEST_NAME, Manifest
from flipshelf.conversion.options import ConversionOptions, ResourceLimits
from flipshelf.domain import layout
from flipshelf.domain.collections import Collection, CollectionStatus, ConvertStatus, Flipbook
from flipshelf.domain.packages import PackageStatus
from flipshelf.health import outage_of
from flipshelf.jobs.conversion_job import ConversionContext, run_conversion, run_zoom
from flipshelf.jobs.outcomes import RetryLater
from flipshelf.jobs.package_job import PackageContext, run_package_build
from flipshelf.jobs.worker import Sweeper
from flipshelf.packaging.player import WidgetPlayer
from flipshelf.storage import Store, make_store
from tests.books import write_book
from tests.fakes import MemoryCollections, MemoryConversionJobs, MemoryPackageBuilds
from tests.support import FixedClock, RecordingQueue

LEASE = timedelta(seconds=30)


@pytest.fixture
def store() -> Store:
    return make_store("memory://")


@pytest.fixture
def jobs() -> MemoryConversionJobs:
    return MemoryConversionJobs()


@pytest.fixture
def context(
    jobs: MemoryConversionJobs, store: Store, clock: FixedClock, tmp_path: Path
) -> ConversionContext:
    options = ConversionOptions(workers=2)
    return ConversionContext(jobs, store, clock, options, LEASE, 3, tmp_path / "work", 1.0)


def _stored(store: Store, jobs: MemoryConversionJobs, document: Path, name: str = "b1") -> str:
    key = layout.source_key(name, "pdf")
    store.put_file(key, document)
    jobs.add(name, key)
    return name


def _manifest(store: Store, flipbook_hash: str) -> Manifest:
    with store.open_read(layout.book_file(flipbook_hash, MANIFEST_NAME)) as data:
        return Manifest.from_json(json.loads(data.read()))


def test_a_conversion_uploads_every_page_then_the_zoom_pass_adds_zoom_images(
    context: ConversionContext, jobs: MemoryConversionJobs, store: Store, documents: dict[str, Path]
) -> None:
    book = _stored(store, jobs, documents["text"])
    assert run_conversion(context, book) is True
    row = jobs.rows[book]
    assert (row.status, row.page_count, row.attempts) == (ConvertStatus.COMPLETE, 5, 1)
    manifest = _manifest(store, book)
    for page in manifest.pages:
        for image in page.images.values():
            with store.open_read(layout.book_file(book, image.file)) as data:
                assert data.read(3) == b"\xff\xd8\xff"

    run_zoom(context, book, row.source_key)  # only the manifest is fetched from the store
    zoomed = _manifest(store, book)
    assert zoomed.zoom_ready == 5 and row.zoomed == 1
    zoom = zoomed.pages[0].images["zoom"]
    assert zoom.height > manifest.pages[0].images["normal"].height
    with store.open_read(layout.book_file(book, zoom.file)) as data:
        assert data.read(3) == b"\xff\xd8\xff"


def test_a_second_delivery_of_a_done_conversion_does_nothing(
    context: ConversionContext, jobs: MemoryConversionJobs, store: Store, documents: dict[str, Path]
) -> None:
    book = _stored(store, jobs, documents["png"])
    assert run_conversion(context, book) is True
    assert run_conversion(context, book) is False
    assert jobs.rows[book].attempts == 1


def test_a_conversion_that_loses_its_lease_stops_without_touching_the_row(
    context: ConversionContext, jobs: MemoryConversionJobs, store: Store, documents: dict[str, Path]
) -> None:
    book = _stored(store, jobs, documents["text"])
    jobs.progress = lambda *args, **kwargs: False  # type: ignore[method-assign]
    assert run_conversion(context, book) is False
    assert jobs.rows[book].status is ConvertStatus.PROCESSING


def test_a_refused_document_fails_at_once_with_its_reason(
    context: ConversionContext, jobs: MemoryConversionJobs, store: Store, documents: dict[str, Path]
) -> None:
    book = _stored(store, jobs, documents["encrypted"])
    assert run_conversion(context, book) is False
    assert (jobs.rows[book].status, jobs.rows[book].error) == (
        ConvertStatus.FAILED,
        errors.PASSWORD_PROTECTED,
    )


def test_transient_failures_are_retried_with_backoff_then_failed(
    context: ConversionContext,
    jobs: MemoryConversionJobs,
    store: Store,
    documents: dict[str, Path],
    clock: FixedClock,
) -> None:
    book = _stored(store, jobs, documents["text"])
    starved = replace(
        context,
        options=replace(context.options, limits=ResourceLimits(None, None, wall_seconds=0.001)),
    )
    delays = []
    for _ in range(2):
        with pytest.raises(RetryLater) as retry:
            run_conversion(starved, book)
        delays.append(retry.value.delay)
        clock.advance(seconds=retry.value.delay)
    assert delays == [1.0, 2.0]
    assert run_conversion(starved, book) is False
    assert jobs.rows[book].status is ConvertStatus.FAILED


def test_a_document_whose_worker_died_at_every_attempt_fails(
    context: ConversionContext,
    jobs: MemoryConversionJobs,
    store: Store,
    documents: dict[str, Path],
    clock: FixedClock,
) -> None:
    book = _stored(store, jobs, documents["text"])
    for _ in range(context.attempts):
        assert jobs.claim(book, clock.now(), LEASE, "host:1") is not None
        clock.advance(seconds=LEASE.total_seconds() + 1)
    assert run_conversion(context, book) is False
    assert (jobs.rows[book].status, jobs.rows[book].error) == (
        ConvertStatus.FAILED,
        errors.WORKER_DIED,
    )


def _collection(books: int) -> Collection:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    items = tuple(
        Flipbook(n, f"book{n}", 1, n, f"Book {n}", "pdf", ConvertStatus.COMPLETE, None, 3, 3, now)
        for n in range(1, books + 1)
    )
    return Collection(
        1, "coll1", 1, "Guide", "", CollectionStatus.PUBLISHED, 650, 385, None, None, 4,
        now, now, items=items,
    )  # fmt: skip


@pytest.fixture
def packaging(store: Store, clock: FixedClock, tmp_path: Path) -> PackageContext:
    collection = _collection(2)
    for item in collection.items:
        write_book(store, item.hash, 3)
    collections = MemoryCollections({collection.hash: collection})
    return PackageContext(
        MemoryPackageBuilds(), collections, store, clock, WidgetPlayer(), LEASE, 3,
        tmp_path / "work", 1.0,
    )  # fmt: skip


def test_a_package_is_built_once_and_stored_under_its_attempts_key(
    packaging: PackageContext, store: Store
) -> None:
    builds = packaging.packages
    assert isinstance(builds, MemoryPackageBuilds)
    collection = packaging.collections.get("coll1")
    assert collection is not None
    package_id = builds.add(collection)
    assert run_package_build(packaging, package_id) is True
    assert run_package_build(packaging, package_id) is False
    row = builds.rows[package_id]
    assert row.status is PackageStatus.COMPLETE and row.key is not None
    assert row.key.startswith(layout.package_key("coll1", package_id, 1, ""))
    with store.open_read(row.key) as data:
        assert data.read(2) == b"PK" and row.size


def test_a_package_of_a_collection_that_moved_on_fails_without_building(
    packaging: PackageContext,
) -> None:
    builds = packaging.packages
    assert isinstance(builds, MemoryPackageBuilds)
    collection = packaging.collections.get("coll1")
    assert collection is not None
    package_id = builds.add(replace(collection, version=collection.version - 1))
    assert run_package_build(packaging, package_id) is False
    assert builds.rows[package_id].status is PackageStatus.FAILED
    assert builds.rows[package_id].error == "the collection changed before the build"


class _DatabaseDown(MemoryConversionJobs):
    """Conversions whose database cannot be reached, until `up` is set."""

    up = False

    def lost(self, now: datetime, grace: timedelta, limit: int = 100) -> list[str]:
        if not self.up:
            raise OperationalError("SELECT 1", {}, Exception("connection refused"))
        return super().lost(now, grace, limit)


def test_a_sweep_that_meets_an_outage_says_so_once_and_when_it_ends(
    store: Store, clock: FixedClock, tmp_path: Path
) -> None:
    down = _DatabaseDown()
    context = ConversionContext(
        down, store, clock, ConversionOptions(workers=1), LEASE, 3, tmp_path / "work", 1.0
    )
    sweeper = Sweeper(context, RecordingQueue(), interval=60, outage=outage_of)  # type: ignore[arg-type]
    with capture_logs() as logged:
        for _ in range(3):
            sweeper.sweep_guarded()
        down.up = True
        sweeper.sweep_guarded()
    events = [(entry["log_level"], entry["event"]) for entry in logged]
    assert events == [
        ("warning", "sweep: dependency unreachable; trying again"),
        ("warning", "sweep: dependencies answer again"),
    ]
    bug = Sweeper(context, RecordingQueue(), interval=60, outage=lambda _e: None)  # type: ignore[arg-type]
    down.up = False
    with capture_logs() as logged:
        bug.sweep_guarded()
    assert [entry["log_level"] for entry in logged] == ["error"]  # not an outage: a traceback
