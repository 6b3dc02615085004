"""`flipshelf serve`'s supervisor with real child processes: a dead worker is replaced and its
leases freed; one that keeps dying is restarted after growing pauses, never in a tight loop."""

from __future__ import annotations

import os
import re
import signal
import sys
import time
from collections.abc import Callable, Iterator

import pytest
import structlog

from flipshelf.jobs import supervisor as supervisor_module
from flipshelf.jobs.supervisor import Supervisor, lease_owner, next_pause

SLEEPER = [sys.executable, "-c", "import time; time.sleep(120)"]
CRASHER = [sys.executable, "-c", "raise SystemExit(3)"]


def wait_for(what: str, found: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not found():
        assert time.monotonic() < deadline, f"{what}: not within {timeout:.0f} s"
        time.sleep(0.05)


@pytest.fixture
def logged(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict[str, object]]]:
    """The supervisor's log entries. A fresh logger under default settings: one cached by an
    earlier `configure()` in this process would not see the capture."""
    structlog.reset_defaults()
    monkeypatch.setattr(supervisor_module, "log", structlog.get_logger("flipshelf.supervisor"))
    with structlog.testing.capture_logs() as entries:
        yield entries


def test_pauses_grow_for_a_worker_that_keeps_dying_and_reset_after_a_healthy_life() -> None:
    pauses = [0.0]
    for _ in range(8):
        pauses.append(next_pause(pauses[-1], lived_seconds=0.5))
    assert pauses == [0.0, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0]
    assert next_pause(60.0, lived_seconds=3600) == 0.0


def test_a_killed_worker_is_replaced_and_its_leases_freed(
    logged: list[dict[str, object]],
) -> None:
    freed: list[str] = []
    supervisor = Supervisor(2, freed.append, SLEEPER)
    supervisor.start()
    try:
        wait_for("two workers", lambda: len(supervisor.pids()) == 2)
        first = set(supervisor.pids())
        victim = min(first)
        os.kill(victim, signal.SIGKILL)
        wait_for("a replacement", lambda: len(set(supervisor.pids()) - first) == 1)
        assert freed == [lease_owner(victim)]
        assert victim not in supervisor.pids() and len(supervisor.pids()) == 2
    finally:
        supervisor.stop()
    assert supervisor.pids() == []
    died = [entry for entry in logged if entry["event"] == "worker died; its jobs run again"]
    assert [entry["exit"] for entry in died] == ["killed by SIGKILL"]
    assert died[0]["log_level"] == "warning"


def test_a_worker_dying_in_a_loop_is_backed_off_and_reported(
    logged: list[dict[str, object]],
) -> None:
    supervisor = Supervisor(1, lambda owner: None, CRASHER)
    supervisor.start()
    try:
        wait_for("three deaths", lambda: sum("worker died" in str(e["event"]) for e in logged) >= 3)
    finally:
        supervisor.stop()
    died = [entry for entry in logged if "worker died" in str(entry["event"])]
    assert [entry["restart_in_seconds"] for entry in died[:3]] == [1.0, 2.0, 4.0]
    assert all(re.fullmatch(r"exit code 3", str(entry["exit"])) for entry in died)


def test_a_worker_that_cannot_be_started_is_tried_again_after_a_pause(
    logged: list[dict[str, object]],
) -> None:
    tries: list[int] = []
    sleeper = supervisor_module.exec_worker(SLEEPER)

    def start(number: int) -> supervisor_module.WorkerProcess:
        tries.append(number)
        if len(tries) == 1:
            raise OSError("no more processes")
        return sleeper(number)

    supervisor = Supervisor(1, lambda owner: None, start=start)
    supervisor.start()
    try:
        wait_for("a worker after the failed start", lambda: len(supervisor.pids()) == 1)
    finally:
        supervisor.stop()
    assert tries == [0, 0]
    [failed] = [entry for entry in logged if entry["event"] == "could not start a worker"]
    assert failed["log_level"] == "error" and failed["worker"] == 0
