"""Conversion jobs against a real database and store: claims, retries, the sweep."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from flipshelf.conversion import errors
from flipshelf.conversion.options import ResourceLimits
from flipshelf.db.conversions import SqlConversions
from flipshelf.db.workers import SqlWorkers
from flipshelf.domain.collections import CollectionStatus, ConvertStatus
from flipshelf.domain.layout import book_file
from flipshelf.jobs.conversion_job import ConversionContext, run_conversion, run_zoom
from flipshelf.jobs.outcomes import RetryLater
from flipshelf.jobs.worker import JobHandlers, Sweeper
from flipshelf.runtime import Runtime, conversion_context
from flipshelf.services.uploads import CollectionFields, UploadLimits, create_collection
from tests.support import FixedClock, RecordingQueue, Tenant


def _upload(runtime: Runtime, tenant: Tenant, document: Path, tmp_path: Path) -> str:
    staged = tmp_path / "staged.bin"
    staged.write_bytes(document.read_bytes())
    fields = CollectionFields("t", "", CollectionStatus.PUBLISHED, 650, 385)
    collection = create_collection(
        runtime.ports, tenant.account, staged, fields, UploadLimits(1000, 1000)
    )
    return collection.items[0].hash


def _status(runtime: Runtime, flipbook_hash: str) -> tuple[ConvertStatus, str | None]:
    collection = runtime.ports.collections.of_flipbook(flipbook_hash)
    assert collection is not None
    item = collection.item(flipbook_hash)
    assert item is not None
    return item.convert_status, item.convert_error


@pytest.fixture
def context(runtime: Runtime) -> ConversionContext:
    # The zoom pass on, as these tests were written for it (off by default: on demand).
    return replace(conversion_context(runtime), retry_base_seconds=1.0, zoom_pass=True)


def test_with_the_zoom_pass_off_no_zoom_job_is_queued_nor_swept_nor_any_zoom_image_written(
    runtime: Runtime,
    tenant: Tenant,
    documents: dict[str, Path],
    tmp_path: Path,
    clock: FixedClock,
) -> None:
    """The default (`zoom_pass` false): readers' zoom images are drawn on demand, so a finished
    conversion queues no zoom job and the sweep never resurrects one."""
    context = conversion_context(runtime)
    assert context.zoom_pass is False  # the setting's default
    flipbook_hash = _upload(runtime, tenant, documents["text"], tmp_path)
    queue = RecordingQueue()
    handlers = JobHandlers()
    handlers.bind(context, queue)  # type: ignore[arg-type]
    handlers.convert(flipbook_hash)
    assert _status(runtime, flipbook_hash) == (ConvertStatus.COMPLETE, None)
    grace = timedelta(seconds=2 * context.lease.total_seconds())
    for _ in range(3):
        clock.advance(seconds=grace.total_seconds() + 1)
        assert Sweeper(context, queue, interval=60).sweep_zooms(grace) == []  # type: ignore[arg-type]
    assert queue.zooms == []
    book = runtime.ports.files.local_path(book_file(flipbook_hash, "pages"))
    assert book is not None and sorted(book.glob("*-normal.jpg"))
    assert sorted(book.glob("*zoom*")) == []
    manifest = runtime.ports.files.local_path(book_file(flipbook_hash, "manifest.json"))
    assert manifest is not None and json.loads(manifest.read_text())["zoomReady"] == 0


def test_a_job_runs_once_even_when_delivered_twice(
    runtime: Runtime,
    tenant: Tenant,
    context: ConversionContext,
    documents: dict[str, Path],
    tmp_path: Path,
) -> None:
    flipbook_hash = _upload(runtime, tenant, documents["text"], tmp_path)
    assert run_conversion(context, flipbook_hash) is True
    assert run_conversion(context, flipbook_hash) is False  # done: the duplicate does nothing
    assert _status(runtime, flipbook_hash) == (ConvertStatus.COMPLETE, None)
    assert SqlConversions(runtime.db).attempts(flipbook_hash) == 1


def test_the_zoom_pass_moves_the_collection_to_a_new_version(
    runtime: Runtime,
    tenant: Tenant,
    context: ConversionContext,
    documents: dict[str, Path],
    tmp_path: Path,
) -> None:
    """An offline package is built once per collection version: the zoom images must make a
    new version, or a package built before they existed would never get them."""
    flipbook_hash = _upload(runtime, tenant, documents["text"], tmp_path)
    assert run_conversion(context, flipbook_hash) is True
    collection = runtime.ports.collections.of_flipbook(flipbook_hash)
    assert collection is not None
    source_key = SqlConversions(runtime.db).source_key(flipbook_hash)
    assert source_key is not None
    run_zoom(context, flipbook_hash, source_key)
    after = runtime.ports.collections.of_flipbook(flipbook_hash)
    assert after is not None and after.version == collection.version + 1


def test_a_lost_zoom_pass_is_queued_again_until_it_is_done(
    runtime: Runtime,
    tenant: Tenant,
    context: ConversionContext,
    documents: dict[str, Path],
    tmp_path: Path,
    clock: FixedClock,
) -> None:
    """A zoom pass whose message was lost (a Redis restart) or whose worker died is a job the
    sweep recovers, once per grace; a duplicate message does nothing once it is done."""
    flipbook_hash = _upload(runtime, tenant, documents["text"], tmp_path)
    assert run_conversion(context, flipbook_hash) is True  # the zoom pass is due from now
    queue = RecordingQueue()
    sweeper = Sweeper(context, queue, interval=60)  # type: ignore[arg-type]
    grace = timedelta(seconds=2 * context.lease.total_seconds())
    assert sweeper.sweep_zooms(grace) == []  # just queued by the worker
    clock.advance(seconds=grace.total_seconds() + 1)  # its message never came
    assert sweeper.sweep_zooms(grace) == [flipbook_hash]
    assert sweeper.sweep_zooms(grace) == []  # sent once per grace
    assert queue.zooms == [flipbook_hash]
    source_key = SqlConversions(runtime.db).source_key(flipbook_hash)
    assert source_key is not None
    assert run_zoom(context, flipbook_hash, source_key) is True
    with runtime.ports.files.open_read(book_file(flipbook_hash, "manifest.json")) as stored:
        manifest = json.load(stored)
    assert manifest["zoomReady"] == manifest["pageCount"]
    assert run_zoom(context, flipbook_hash, source_key) is False  # a duplicate: nothing to do
    clock.advance(seconds=grace.total_seconds() + 1)
    assert sweeper.sweep_zooms(grace) == []  # done for good


class _DownQueue(RecordingQueue):
    """A queue whose store cannot be reached (Redis restarting)."""

    def convert(self, flipbook_hash: str) -> None:
        raise ConnectionError("Connection refused")

    def zoom(self, flipbook_hash: str) -> None:
        raise ConnectionError("Connection refused")


def test_a_queue_that_cannot_be_reached_costs_a_delay_never_the_work(
    runtime: Runtime,
    tenant: Tenant,
    context: ConversionContext,
    documents: dict[str, Path],
    tmp_path: Path,
    clock: FixedClock,
) -> None:
    """The worker and the sweep hand follow-up work to the queue; while it is down they warn
    (no traceback, no crash) and the next sweep after it is back sends the work."""
    flipbook_hash = _upload(runtime, tenant, documents["text"], tmp_path)
    handlers = JobHandlers()
    handlers.bind(context, _DownQueue())  # type: ignore[arg-type]
    handlers.convert(flipbook_hash)  # converts, then cannot queue the zoom pass: no raise
    assert _status(runtime, flipbook_hash) == (ConvertStatus.COMPLETE, None)
    grace = timedelta(seconds=2 * context.lease.total_seconds())
    clock.advance(seconds=grace.total_seconds() + 1)
    down = Sweeper(context, _DownQueue(), interval=60)  # type: ignore[arg-type]
    assert down.sweep_zooms(grace) == [flipbook_hash]  # found, its send failed quietly
    clock.advance(seconds=grace.total_seconds() + 1)
    back = RecordingQueue()
    assert Sweeper(context, back, interval=60).sweep_zooms(grace) == [flipbook_hash]  # type: ignore[arg-type]
    assert back.zooms == [flipbook_hash]


def test_a_zoom_pass_whose_worker_dies_every_time_stops_after_the_attempts(
    runtime: Runtime,
    tenant: Tenant,
    context: ConversionContext,
    documents: dict[str, Path],
    tmp_path: Path,
    clock: FixedClock,
) -> None:
    flipbook_hash = _upload(runtime, tenant, documents["text"], tmp_path)
    assert run_conversion(context, flipbook_hash) is True
    conversions = SqlConversions(runtime.db)
    grace = timedelta(seconds=2 * context.lease.total_seconds())
    for _death in range(context.attempts):  # each pass starts, then its worker is killed
        assert conversions.zoom_start(flipbook_hash, clock.now(), context.attempts)
        clock.advance(seconds=grace.total_seconds() + 1)
        conversions.lost_zooms(clock.now(), grace, context.attempts)
    clock.advance(seconds=grace.total_seconds() + 1)
    assert conversions.lost_zooms(clock.now(), grace, context.attempts) == []
    assert not conversions.zoom_start(flipbook_hash, clock.now(), context.attempts)
    status, _reason = _status(runtime, flipbook_hash)
    assert status is ConvertStatus.COMPLETE  # readable with its normal images all along


def test_a_live_lease_keeps_a_second_worker_out(
    runtime: Runtime,
    tenant: Tenant,
    context: ConversionContext,
    documents: dict[str, Path],
    tmp_path: Path,
    clock: FixedClock,
) -> None:
    flipbook_hash = _upload(runtime, tenant, documents["text"], tmp_path)
    conversions = SqlConversions(runtime.db)
    assert conversions.claim(flipbook_hash, clock.now(), context.lease) is not None
    assert run_conversion(context, flipbook_hash) is False  # another worker holds it
    clock.advance(seconds=context.lease.total_seconds() + 1)
    assert run_conversion(context, flipbook_hash) is True  # its lease ran out: take over
    assert conversions.attempts(flipbook_hash) == 2


def test_refused_documents_fail_at_once_with_their_reason(
    runtime: Runtime,
    tenant: Tenant,
    context: ConversionContext,
    documents: dict[str, Path],
    tmp_path: Path,
) -> None:
    flipbook_hash = _upload(runtime, tenant, documents["text"], tmp_path)
    source = runtime.ports.files.local_path(f"flipbooks/{flipbook_hash}/source.pdf")
    assert source is not None
    source.write_bytes(documents["encrypted"].read_bytes())  # as if it changed after the check
    assert run_conversion(context, flipbook_hash) is False
    assert _status(runtime, flipbook_hash) == (ConvertStatus.FAILED, "password-protected PDF")
    assert SqlConversions(runtime.db).attempts(flipbook_hash) == 1


def test_transient_failures_retry_with_backoff_then_fail(
    runtime: Runtime,
    tenant: Tenant,
    context: ConversionContext,
    documents: dict[str, Path],
    tmp_path: Path,
    clock: FixedClock,
) -> None:
    flipbook_hash = _upload(runtime, tenant, documents["text"], tmp_path)
    # CPU-starved renderers fail every time: a failure that is not the document's fault.
    starved = replace(
        context,
        options=replace(
            context.options,
            limits=ResourceLimits(memory_bytes=None, cpu_seconds=None, wall_seconds=0.001),
        ),
    )
    delays = []
    for _attempt in range(starved.attempts - 1):
        with pytest.raises(RetryLater) as retry:
            run_conversion(starved, flipbook_hash)
        delays.append(retry.value.delay)
        assert _status(runtime, flipbook_hash)[0] is ConvertStatus.PROCESSING
        clock.advance(seconds=retry.value.delay)
    assert delays == [1.0, 2.0]
    assert run_conversion(starved, flipbook_hash) is False
    status, reason = _status(runtime, flipbook_hash)
    assert status is ConvertStatus.FAILED and reason
    assert SqlConversions(runtime.db).attempts(flipbook_hash) == starved.attempts


def test_the_sweep_requeues_expired_leases_and_lost_messages_once(
    runtime: Runtime,
    tenant: Tenant,
    context: ConversionContext,
    documents: dict[str, Path],
    tmp_path: Path,
    clock: FixedClock,
) -> None:
    held = _upload(runtime, tenant, documents["text"], tmp_path)
    never_started = _upload(runtime, tenant, documents["png"], tmp_path)
    SqlConversions(runtime.db).claim(held, clock.now(), context.lease)
    queue = RecordingQueue()
    sweeper = Sweeper(context, queue, interval=60)  # type: ignore[arg-type]
    assert sweeper.sweep_once() == []  # lease live, message recently queued
    clock.advance(seconds=2 * context.lease.total_seconds() + 1)
    assert sorted(sweeper.sweep_once()) == sorted([held, never_started])
    assert sweeper.sweep_once() == []  # just re-queued: not again until the grace passes
    assert sorted(queue.sent) == sorted([held, never_started])
    assert run_conversion(context, held) is True
    clock.advance(seconds=2 * context.lease.total_seconds() + 1)
    assert sweeper.sweep_once() == [never_started]


def test_a_dead_workers_leases_end_at_once_and_the_sweep_requeues_its_jobs(
    runtime: Runtime,
    tenant: Tenant,
    context: ConversionContext,
    documents: dict[str, Path],
    tmp_path: Path,
    clock: FixedClock,
) -> None:
    mine = _upload(runtime, tenant, documents["text"], tmp_path)
    others = _upload(runtime, tenant, documents["png"], tmp_path)
    conversions = SqlConversions(runtime.db)
    assert conversions.claim(mine, clock.now(), context.lease, "host:111") is not None
    assert conversions.claim(others, clock.now(), context.lease, "host:222") is not None
    sweeper = Sweeper(context, RecordingQueue(), interval=60)  # type: ignore[arg-type]
    assert sweeper.sweep_once() == []  # both leases live

    assert SqlWorkers(runtime.db).expire_leases("host:111", clock.now()) == 1
    clock.advance(seconds=1)
    assert sweeper.sweep_once() == [mine]  # the other worker's lease still holds
    assert SqlWorkers(runtime.db).expire_leases("host:111", clock.now()) == 0  # nothing left


def test_a_document_whose_worker_dies_at_every_attempt_fails_with_that_reason(
    runtime: Runtime,
    tenant: Tenant,
    context: ConversionContext,
    documents: dict[str, Path],
    tmp_path: Path,
    clock: FixedClock,
) -> None:
    flipbook_hash = _upload(runtime, tenant, documents["text"], tmp_path)
    conversions = SqlConversions(runtime.db)
    for _death in range(context.attempts):  # each claim's worker is killed mid-way
        assert conversions.claim(flipbook_hash, clock.now(), context.lease, "host:1") is not None
        clock.advance(seconds=context.lease.total_seconds() + 1)
    assert run_conversion(context, flipbook_hash) is False
    assert _status(runtime, flipbook_hash) == (ConvertStatus.FAILED, errors.WORKER_DIED)
