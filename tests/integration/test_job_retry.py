"""`flipshelf jobs retry`: FAILED conversions and package builds run again, on every database.
A conversion that failed for good (its worker died at every attempt) converts after the retry;
what is not FAILED or no longer wanted is left alone and named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import update

from flipshelf.conversion import errors
from flipshelf.db.conversions import SqlConversions
from flipshelf.db.job_retry import SqlRetries
from flipshelf.db.schema import packages
from flipshelf.domain.collections import ConvertStatus
from flipshelf.domain.packages import PackageStatus
from flipshelf.jobs.conversion_job import run_conversion
from flipshelf.runtime import Runtime, conversion_context
from flipshelf.services.job_retry import retry_failed
from flipshelf.settings import Settings
from tests.integration.test_cli import runner, where_the_cli_looks
from tests.integration.test_jobs import _status, _upload
from tests.support import FixedClock, Tenant, seed_collection


@pytest.fixture
def settings(tmp_path: Path, data_dir: Path, database_url: str) -> Settings:
    return where_the_cli_looks(tmp_path, data_dir, database_url)


def _failed_for_good(runtime: Runtime, flipbook_hash: str, clock: FixedClock) -> None:
    """Every claim's worker dies mid-way, so the conversion ends FAILED (worker died)."""
    context = conversion_context(runtime)
    conversions = SqlConversions(runtime.db)
    for _death in range(context.attempts):
        assert conversions.claim(flipbook_hash, clock.now(), context.lease, "host:1") is not None
        clock.advance(seconds=context.lease.total_seconds() + 1)
    assert run_conversion(context, flipbook_hash) is False
    assert _status(runtime, flipbook_hash) == (ConvertStatus.FAILED, errors.WORKER_DIED)


def _failed_package(runtime: Runtime, tenant: Tenant, *, deleted: bool = False) -> int:
    collection = seed_collection(runtime, tenant)
    package, _ = runtime.ports.packages.ensure(
        collection.id, collection.version, runtime.ports.clock.now()
    )
    with runtime.db.write() as conn:
        conn.execute(
            update(packages)
            .where(packages.c.id == package.id)
            .values(status=PackageStatus.FAILED.value, attempts=3, error="disk full")
        )
    if deleted:
        runtime.ports.collections.mark_deleted(collection.id, runtime.ports.clock.now())
    return package.id


def test_a_conversion_that_failed_for_good_converts_after_a_retry(
    runtime: Runtime,
    tenant: Tenant,
    documents: dict[str, Path],
    tmp_path: Path,
    clock: FixedClock,
    queued: list[str],
) -> None:
    flipbook_hash = _upload(runtime, tenant, documents["text"], tmp_path)
    _failed_for_good(runtime, flipbook_hash, clock)
    version = runtime.ports.collections.of_flipbook(flipbook_hash)
    queued.clear()
    retries = SqlRetries(runtime.db, runtime.settings.job_attempts)
    done = retry_failed(
        retries, runtime.ports.queue, clock, conversions=[flipbook_hash], packages=[]
    )
    assert done.conversions == [flipbook_hash] and done.packages == []
    assert queued == [flipbook_hash]  # queued: no wait for the sweep
    collection = runtime.ports.collections.of_flipbook(flipbook_hash)
    assert collection is not None and version is not None
    assert collection.version > version.version  # packages and caches see the change
    assert _status(runtime, flipbook_hash) == (ConvertStatus.PROCESSING, None)
    assert run_conversion(conversion_context(runtime), flipbook_hash) is True
    assert _status(runtime, flipbook_hash) == (ConvertStatus.COMPLETE, None)
    again = retry_failed(retries, runtime.ports.queue, clock, conversions=None, packages=None)
    assert again.conversions == []  # COMPLETE now: nothing to retry


def test_retry_all_takes_failed_packages_of_live_collections_only(
    runtime: Runtime, tenant: Tenant, clock: FixedClock
) -> None:
    wanted = _failed_package(runtime, tenant)
    _failed_package(runtime, tenant, deleted=True)
    retries = SqlRetries(runtime.db, runtime.settings.job_attempts)
    done = retry_failed(retries, runtime.ports.queue, clock, conversions=None, packages=None)
    assert done.packages == [wanted]
    package = runtime.ports.packages.get(wanted)
    assert package is not None and package.status is PackageStatus.PROCESSING
    assert package.attempts == 3  # a new round: the next claim is its first try


def test_the_command_retries_queues_and_names_what_it_left(
    data_dir: Path, database_url: str, runtime: Runtime, tenant: Tenant
) -> None:
    """Through the installed command, with the installation's own queue."""
    collection = seed_collection(
        runtime, tenant, items=(ConvertStatus.FAILED, ConvertStatus.COMPLETE)
    )
    failed, complete = (item.hash for item in collection.items)
    package_id = _failed_package(runtime, tenant)
    cli = runner(data_dir, database_url)
    done = cli(
        "jobs", "retry", "--flipbook", failed, "--flipbook", complete,
        "--package", str(package_id), "--json", ok=False,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    answer = json.loads(done.stdout)
    assert answer == {
        "conversions": [failed],
        "packages": [package_id],
        "notRetried": [f"flipbook {complete}"],
    }
    assert f"flipbook {complete} was not retried" in done.stderr
    assert _status(runtime, failed)[0] is ConvertStatus.PROCESSING
    done = cli("jobs", "retry", ok=False)
    assert done.returncode == 2 and "--all" in done.stderr
    assert "retrying 0 conversion(s)" in cli("jobs", "retry", "--all").stdout


def test_jobs_status_counts_the_retried_as_waiting(
    data_dir: Path, database_url: str, runtime: Runtime, tenant: Tenant
) -> None:
    seed_collection(runtime, tenant, items=(ConvertStatus.FAILED,))
    cli = runner(data_dir, database_url)
    cli("jobs", "retry", "--all")
    rows = {row["kind"]: row for row in json.loads(cli("jobs", "status", "--json").stdout)}
    assert (rows["conversion"]["waiting"], rows["conversion"]["failed"]) == (1, 0), rows
