"""The worker processes `flipshelf serve` runs beside the API, kept alive.

A worker that dies (kill -9, the kernel's OOM killer, a crash) is replaced within a second, and the
jobs it held are freed at once (their leases expired), so the replacement's first sweep runs them
again instead of waiting for the leases to run out. A worker that keeps dying soon after its start
is restarted after a growing pause, logged each time, never in a tight loop.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import structlog

log = structlog.get_logger("flipshelf.supervisor")

# Set for the workers `serve` starts: they must not outlive it, even if it is killed.
EXIT_WITH_PARENT = "FLIPSHELF_EXIT_WITH_PARENT"

# A worker that lived this long before dying counts as healthy: its replacement starts at once.
HEALTHY_SECONDS = 60.0
FIRST_PAUSE_SECONDS = 1.0
LONGEST_PAUSE_SECONDS = 60.0
CHECK_EVERY_SECONDS = 0.25


def lease_owner(pid: int) -> str:
    """How a worker names itself on the leases it takes: its supervisor, on the same host,
    knows the pid of the child it started and can free that child's leases when it dies."""
    return f"{socket.gethostname()}:{pid}"


def next_pause(previous: float, lived_seconds: float) -> float:
    """The pause before restarting a worker that lived `lived_seconds`: none after a healthy
    life, else twice the previous one, from one second up to a minute."""
    if lived_seconds >= HEALTHY_SECONDS:
        return 0.0
    return min(LONGEST_PAUSE_SECONDS, max(FIRST_PAUSE_SECONDS, previous * 2))


class WorkerProcess(Protocol):
    """What the supervisor needs of a worker: a `subprocess.Popen` (an exec'd worker) or a
    `zygote.ForkedProcess` (a forked one)."""

    pid: int

    @property
    def returncode(self) -> int | None: ...

    def poll(self) -> int | None: ...

    def wait(self, timeout: float | None = None) -> int: ...

    def send_signal(self, sig: int) -> None: ...

    def kill(self) -> None: ...


# Starts worker `number` and answers its process.
Start = Callable[[int], WorkerProcess]


def exec_worker(command: Sequence[str] | None = None) -> Start:
    """Workers as new programs (`flipshelf worker`), told to leave when their parent dies."""
    argv = list(command or [sys.executable, "-m", "flipshelf", "worker"])

    def start(number: int) -> WorkerProcess:
        return subprocess.Popen(argv, env={**os.environ, EXIT_WITH_PARENT: "1"})  # noqa: S603

    return start


@dataclass
class _Slot:
    """One worker the supervisor keeps running, and its history."""

    number: int
    process: WorkerProcess | None = None
    started_at: float = 0.0
    pause: float = 0.0
    restart_at: float = 0.0
    deaths: int = field(default=0)


class Supervisor:
    """Starts `count` workers and replaces any that dies, until `stop()`.

    `on_death(owner)` is called with the dead worker's lease owner before its replacement
    starts (serve frees its leases there); errors in it are logged, never fatal. `start` starts
    a worker (default: `exec_worker()`; serve forks them from its zygote).
    """

    def __init__(
        self,
        count: int,
        on_death: Callable[[str], object],
        command: Sequence[str] | None = None,
        start: Start | None = None,
    ) -> None:
        self._start = start or exec_worker(command)
        self._on_death = on_death
        self._slots = [_Slot(number) for number in range(count)]
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(
            target=self._watch, name="flipshelf-supervisor", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def pids(self) -> list[int]:
        """The running workers' process ids."""
        with self._lock:
            return [s.process.pid for s in self._slots if s.process and s.process.poll() is None]

    def _spawn(self, slot: _Slot) -> None:
        try:
            process = self._start(slot.number)
        except Exception:
            # Counted as a death at once: retried after the growing pause, never in a loop.
            log.exception("could not start a worker", worker=slot.number)
            slot.started_at = time.monotonic()
            slot.pause = next_pause(slot.pause, 0.0)
            slot.restart_at = slot.started_at + slot.pause
            return
        with self._lock:
            slot.process = process
            slot.started_at = time.monotonic()

    def _watch(self) -> None:
        # Every worker is started, watched and stopped by this one thread: Linux sends a child
        # its parent-death signal when the *thread* that started it ends, so this thread must
        # outlive them all.
        for slot in self._slots:
            self._spawn(slot)
        while not self._stopping.wait(CHECK_EVERY_SECONDS):
            for slot in self._slots:
                self._check(slot, time.monotonic())
        self._stop_workers()

    def _check(self, slot: _Slot, now: float) -> None:
        process = slot.process
        if process is not None and process.poll() is not None:
            self._buried(slot, process, now)
        if slot.process is None and now >= slot.restart_at and not self._stopping.is_set():
            self._spawn(slot)
            if slot.process is not None:
                log.info("worker restarted", worker=slot.number, pid=slot.process.pid)

    def _buried(self, slot: _Slot, process: WorkerProcess, now: float) -> None:
        lived = now - slot.started_at
        slot.process, slot.deaths = None, slot.deaths + 1
        slot.pause = next_pause(slot.pause, lived)
        slot.restart_at = now + slot.pause
        log.warning(
            "worker died; its jobs run again",
            worker=slot.number,
            pid=process.pid,
            exit=_how_it_ended(process.poll() or 0),
            lived_seconds=round(lived, 1),
            restart_in_seconds=slot.pause,
            deaths=slot.deaths,
        )
        try:
            self._on_death(lease_owner(process.pid))
        except Exception:
            log.exception("could not free a dead worker's jobs; the sweep will", pid=process.pid)

    def stop(self) -> None:
        """Asks every worker to finish its current job and leave; returns once all have."""
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join()

    def _stop_workers(self, timeout: float = 30.0) -> None:
        """SIGINT (Huey finishes its current job), then SIGKILL after `timeout` seconds."""
        running = [s.process for s in self._slots if s.process is not None]
        for process in running:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
        deadline = time.monotonic() + timeout
        for process in running:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def _how_it_ended(returncode: int) -> str:
    if returncode >= 0:
        return f"exit code {returncode}"
    try:
        return f"killed by {signal.Signals(-returncode).name}"
    except ValueError:
        return f"killed by signal {-returncode}"
