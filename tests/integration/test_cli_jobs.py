"""`flipshelf jobs status` through the installed command: what waits, what runs, what failed,
and how long the oldest has waited, for conversions and package builds."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from flipshelf.db.migrate import upgrade
from flipshelf.db.schema import flipbooks
from flipshelf.domain.collections import ConvertStatus
from flipshelf.runtime import Runtime, build_runtime
from flipshelf.settings import Settings
from tests.integration.test_cli import Cli, runner
from tests.support import new_tenant, seed_collection


@pytest.fixture
def server_side(data_dir: Path) -> Iterator[Runtime]:
    settings = Settings(data_dir=data_dir, database_url="", server_key="", jobs_url="")
    upgrade(settings.resolved_database_url())
    runtime = build_runtime(settings)
    yield runtime
    runtime.db.dispose()


def status(cli: Cli) -> dict[str, dict[str, object]]:
    rows = json.loads(cli("jobs", "status", "--json").stdout)
    return {row["kind"]: row for row in rows}


def test_an_empty_queue(data_dir: Path, server_side: Runtime) -> None:
    found = status(runner(data_dir, "sqlite"))
    for kind in ("conversion", "package"):
        assert found[kind] == {
            "kind": kind,
            "waiting": 0,
            "running": 0,
            "failed": 0,
            "oldestWaitingSeconds": None,
        }


def test_waiting_running_failed_and_the_oldest_wait(data_dir: Path, server_side: Runtime) -> None:
    tenant = new_tenant(server_side)
    states = (ConvertStatus.PROCESSING,) * 3 + (ConvertStatus.FAILED, ConvertStatus.COMPLETE)
    collection = seed_collection(server_side, tenant, items=states)
    waiting, older, running = (item.hash for item in collection.items[:3])
    now = server_side.ports.clock.now()
    with server_side.db.write() as conn:
        for flipbook, queued in ((waiting, now), (older, now - timedelta(hours=1))):
            conn.execute(
                update(flipbooks).where(flipbooks.c.hash == flipbook).values(queued_at=queued)
            )
        conn.execute(
            update(flipbooks)
            .where(flipbooks.c.hash == running)
            .values(lease_until=now + timedelta(minutes=5), queued_at=now - timedelta(days=1))
        )
    found = status(runner(data_dir, "sqlite"))["conversion"]
    assert (found["waiting"], found["running"], found["failed"]) == (2, 1, 1), found
    oldest = found["oldestWaitingSeconds"]
    assert isinstance(oldest, float) and 3600 <= oldest < 3600 + 600, found


def test_the_table_for_people(data_dir: Path, server_side: Runtime) -> None:
    done = runner(data_dir, "sqlite")("jobs", "status")
    assert "conversion" in done.stdout and "oldest waiting" in done.stdout, done.stdout
