"""The hot reads (prepared Core statements on the DBAPI cursor, remembered while the database
does not change) answer exactly what SQLAlchemy's Core execution answers, on every backend."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, timedelta
from pathlib import Path

import pytest

from flipshelf.db.database import SQLITE_POOL_SIZE, make_engine
from flipshelf.domain.collections import CollectionChanges, ConvertStatus
from flipshelf.runtime import Runtime, build_runtime
from flipshelf.services import accounts
from tests.support import new_tenant, seed_collection

STATES = (ConvertStatus.COMPLETE, ConvertStatus.PROCESSING, ConvertStatus.FAILED)


@pytest.fixture
def other_process(runtime: Runtime) -> Iterator[Runtime]:
    """A second runtime on the same database: what the CLI or another API process sees."""
    other = build_runtime(runtime.settings, clock=runtime.ports.clock)
    yield other
    other.db.dispose()


def test_a_collection_reads_the_same_as_through_core(runtime: Runtime) -> None:
    tenant = new_tenant(runtime)
    seeded = seed_collection(runtime, tenant, items=STATES)
    read = runtime.ports.collections.get(seeded.hash)
    # `of_flipbook` loads through SQLAlchemy Core execution, with its type processing.
    assert read == runtime.ports.collections.of_flipbook(seeded.items[0].hash) == seeded
    assert read is not None and read.created_at.tzinfo is UTC
    assert [item.convert_status for item in read.items] == list(STATES)


def test_an_unknown_hash_reads_none(runtime: Runtime) -> None:
    assert runtime.ports.collections.get("zzzzzzzzzz") is None


def test_an_account_reads_the_same_as_through_core(runtime: Runtime) -> None:
    tenant = new_tenant(runtime)
    runtime.ports.accounts.set_strict(tenant.pair.api_key, True)
    accounts.revoke(runtime.ports, tenant.pair.api_key)
    found = runtime.ports.accounts.by_api_key(tenant.pair.api_key)
    assert found is not None
    account, sealed = found
    assert [account] == runtime.ports.accounts.all()
    assert account.strict is True and account.revoked_at is not None
    assert account.revoked_at.tzinfo is UTC
    assert runtime.box.open(sealed, tenant.pair.api_key) == tenant.pair.secret
    assert runtime.ports.accounts.by_api_key("no-such-key") is None


def test_a_commit_by_another_process_is_read_at_once(
    runtime: Runtime, other_process: Runtime
) -> None:
    tenant = new_tenant(runtime)
    seeded = seed_collection(runtime, tenant)
    assert runtime.ports.collections.get(seeded.hash) == seeded
    now = runtime.ports.clock.now() + timedelta(minutes=1)
    other_process.ports.collections.mark_deleted(seeded.id, now)
    read = runtime.ports.collections.get(seeded.hash)
    assert read is not None and read.is_deleted and read.version == seeded.version + 1


def test_a_commit_in_this_process_is_read_at_once(runtime: Runtime) -> None:
    tenant = new_tenant(runtime)
    seeded = seed_collection(runtime, tenant, items=STATES)
    assert runtime.ports.collections.get(seeded.hash) == seeded
    runtime.ports.collections.delete_flipbook(
        seeded.id, seeded.items[1].hash, runtime.ports.clock.now()
    )
    read = runtime.ports.collections.get(seeded.hash)
    assert read is not None and [item.hash for item in read.items] == [
        seeded.items[0].hash,
        seeded.items[2].hash,
    ]


def test_sqlite_answers_again_without_reading_while_nothing_changed(runtime: Runtime) -> None:
    if runtime.db.dialect != "sqlite":
        pytest.skip("only SQLite tells a reader that nothing changed (PRAGMA data_version)")
    tenant = new_tenant(runtime)
    seeded = seed_collection(runtime, tenant)
    first = runtime.ports.collections.get(seeded.hash)
    assert runtime.ports.collections.get(seeded.hash) is first
    new_tenant(runtime, "someone else")  # any commit anywhere: read again
    again = runtime.ports.collections.get(seeded.hash)
    assert again == first and again is not first


def test_a_failed_snapshot_is_rolled_back_and_the_next_one_works(runtime: Runtime) -> None:
    tenant = new_tenant(runtime)
    seeded = seed_collection(runtime, tenant)
    with pytest.raises(ZeroDivisionError), runtime.db.snapshot():
        _ = 1 / 0
    # No reader was left open: a writer is not kept waiting, and the next read sees it.
    runtime.ports.collections.update(
        seeded.id, CollectionChanges(title="after"), runtime.ports.clock.now()
    )
    read = runtime.ports.collections.get(seeded.hash)
    assert read is not None and read.title == "after"


def test_the_sqlite_pool_holds_a_connection_per_thread_of_the_api(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    assert engine.pool.size() == SQLITE_POOL_SIZE  # type: ignore[attr-defined]
    engine.dispose()


@dataclass
class FakeTimer:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


def sqlite_only(runtime: Runtime) -> None:
    if runtime.db.dialect != "sqlite":
        pytest.skip("PostgreSQL reads every time: nothing is reused")


def test_reused_reads_show_another_process_commit_within_the_bound(
    runtime: Runtime, other_process: Runtime
) -> None:
    sqlite_only(runtime)
    timer = FakeTimer()
    runtime.db.reuse_reads(0.5, timer)
    seeded = seed_collection(runtime, new_tenant(runtime))
    assert runtime.ports.collections.get(seeded.hash) == seeded
    other_process.ports.collections.mark_deleted(seeded.id, runtime.ports.clock.now())
    timer.now += 0.25
    assert runtime.ports.collections.get(seeded.hash) == seeded  # within the bound: not asked
    timer.now += 0.25
    read = runtime.ports.collections.get(seeded.hash)
    assert read is not None and read.is_deleted


def test_reused_reads_show_this_process_writes_at_once(runtime: Runtime) -> None:
    sqlite_only(runtime)
    runtime.db.reuse_reads(3600, FakeTimer())
    seeded = seed_collection(runtime, new_tenant(runtime))
    assert runtime.ports.collections.get(seeded.hash) == seeded
    runtime.ports.collections.mark_deleted(seeded.id, runtime.ports.clock.now())
    read = runtime.ports.collections.get(seeded.hash)
    assert read is not None and read.is_deleted
