"""Package builds against a real database and store: claims, leases, the sweep, clean-up."""

from __future__ import annotations

from flipshelf.db.packages import SqlPackages
from flipshelf.domain.packages import KEEP_SUPERSEDED, PackageStatus
from flipshelf.jobs.package_job import PackageContext, run_package_build
from flipshelf.jobs.worker import Sweeper
from flipshelf.runtime import Runtime, conversion_context
from tests.packages.conftest import seed_with_books
from tests.support import FixedClock, RecordingQueue, Tenant


def _package(runtime: Runtime, tenant: Tenant) -> tuple[int, SqlPackages]:
    collection = seed_with_books(runtime, tenant, items=1)
    packages = SqlPackages(runtime.db, 3)
    package, created = packages.ensure(collection.id, collection.version, runtime.ports.clock.now())
    assert created
    return package.id, packages


def test_a_build_runs_once_even_when_delivered_twice(
    runtime: Runtime, tenant: Tenant, packaging: PackageContext
) -> None:
    package_id, packages = _package(runtime, tenant)
    assert run_package_build(packaging, package_id) is True
    assert run_package_build(packaging, package_id) is False
    package = packages.get(package_id)
    assert package is not None
    assert (package.status, package.attempts) == (PackageStatus.COMPLETE, 1)
    assert package.key is not None and runtime.ports.files.local_path(package.key) is not None
    assert package.size == runtime.ports.files.local_path(package.key).stat().st_size  # type: ignore[union-attr]


def test_ensure_makes_one_row_per_version(runtime: Runtime, tenant: Tenant) -> None:
    collection = seed_with_books(runtime, tenant, items=1)
    packages = SqlPackages(runtime.db, 3)
    now = runtime.ports.clock.now()
    first, created = packages.ensure(collection.id, collection.version, now)
    second, again = packages.ensure(collection.id, collection.version, now)
    assert (created, again) == (True, False)
    assert first.id == second.id
    newer, made = packages.ensure(collection.id, collection.version + 1, now)
    assert made and newer.id != first.id


def test_a_live_lease_keeps_a_second_worker_out_and_an_expired_one_is_swept(
    runtime: Runtime, tenant: Tenant, packaging: PackageContext, clock: FixedClock
) -> None:
    package_id, packages = _package(runtime, tenant)
    assert packages.claim(package_id, clock.now(), packaging.lease) is not None  # worker dies
    assert run_package_build(packaging, package_id) is False
    queue = RecordingQueue()
    sweeper = Sweeper(conversion_context(runtime), queue, 60, packaging)  # type: ignore[arg-type]
    assert sweeper.sweep_packages(packaging) == []
    clock.advance(seconds=packaging.lease.total_seconds() + 1)
    assert sweeper.sweep_packages(packaging) == [package_id]
    assert queue.packages == [package_id]
    assert sweeper.sweep_packages(packaging) == []  # sent once per grace period
    assert run_package_build(packaging, package_id) is True


def test_a_build_whose_message_was_lost_is_sent_again(
    runtime: Runtime, tenant: Tenant, packaging: PackageContext, clock: FixedClock
) -> None:
    package_id, _ = _package(runtime, tenant)
    queue = RecordingQueue()
    sweeper = Sweeper(conversion_context(runtime), queue, 60, packaging)  # type: ignore[arg-type]
    clock.advance(seconds=2 * packaging.lease.total_seconds() + 1)
    sweeper.sweep_once()
    assert queue.packages == [package_id]


def test_a_build_that_lost_its_lease_stores_nothing_that_is_served(
    runtime: Runtime, tenant: Tenant, packaging: PackageContext, clock: FixedClock
) -> None:
    package_id, packages = _package(runtime, tenant)
    stale = packages.claim(package_id, clock.now(), packaging.lease)
    assert stale is not None
    clock.advance(seconds=packaging.lease.total_seconds() + 1)
    assert run_package_build(packaging, package_id) is True  # another worker took over
    assert packages.complete(stale, clock.now(), "packages/x/1-1/x.zip", 1) is False
    assert packages.fail(stale, clock.now(), "late") is False
    package = packages.get(package_id)
    assert package is not None and package.status is PackageStatus.COMPLETE


def test_a_build_of_a_version_the_collection_moved_past_fails_quietly(
    runtime: Runtime, tenant: Tenant, packaging: PackageContext
) -> None:
    package_id, packages = _package(runtime, tenant)
    package = packages.get(package_id)
    assert package is not None
    from flipshelf.domain.collections import CollectionChanges

    runtime.ports.collections.update(
        package.collection_id, CollectionChanges(title="changed"), runtime.ports.clock.now()
    )
    assert run_package_build(packaging, package_id) is False
    failed = packages.get(package_id)
    assert failed is not None and failed.status is PackageStatus.FAILED


def test_packages_of_old_versions_are_deleted_an_hour_after_the_change(
    runtime: Runtime, tenant: Tenant, packaging: PackageContext, clock: FixedClock
) -> None:
    package_id, packages = _package(runtime, tenant)
    assert run_package_build(packaging, package_id) is True
    old = packages.get(package_id)
    assert old is not None and old.key is not None
    stored = runtime.ports.files.local_path(old.key)
    assert stored is not None and stored.is_file()
    sweeper = Sweeper(conversion_context(runtime), RecordingQueue(), 60, packaging)  # type: ignore[arg-type]
    clock.advance(hours=2)
    sweeper.sweep_packages(packaging)
    assert packages.get(package_id) is not None  # unchanged collection: kept
    from flipshelf.domain.collections import CollectionChanges

    runtime.ports.collections.update(old.collection_id, CollectionChanges(title="new"), clock.now())
    clock.advance(seconds=KEEP_SUPERSEDED.total_seconds() - 1)
    sweeper.sweep_packages(packaging)
    assert packages.get(package_id) is not None and stored.is_file()
    clock.advance(seconds=2)
    sweeper.sweep_packages(packaging)
    assert packages.get(package_id) is None
    assert not stored.exists()
