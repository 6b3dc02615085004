"""Worker processes forked, not exec'd, so they share the imported code with `serve`.

Every Python process pays for what it imports, and an exec'd worker imports SQLAlchemy, Huey,
redis, pydantic and the conversion modules all over again: about 60 MB that `serve` already holds
(benchmarks/README.md, "memory.py"). A process forked after those imports shares their pages
with its parent until one of them writes there.

`serve` cannot fork workers itself once it runs: uvicorn and the supervisor are threads by then,
and a child forked beside other threads may inherit a lock one of them held (logging, malloc,
the import lock) and hang. So `serve` forks one helper, the zygote, right after importing what a
worker needs and before it starts any thread or opens any database connection. The zygote stays
single-threaded and does nothing but fork workers when asked and report how they end. It ends
when `serve` closes its pipe or dies (it holds nothing worth finishing), and each worker in
turn receives the signal `exit_with_parent` asks for when the zygote goes.

To the supervisor a forked worker looks like a `subprocess.Popen`: `ForkedProcess` has the same
`pid`, `returncode`, `poll`, `wait`, `send_signal` and `kill`.
"""

from __future__ import annotations

import contextlib
import gc
import os
import queue
import select
import signal
import subprocess
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from typing import BinaryIO, NoReturn

import structlog

from flipshelf.jobs.supervisor import Start, WorkerProcess, exec_worker

log = structlog.get_logger("flipshelf.supervisor")

# How often the zygote reaps its workers while no request comes; the supervisor checks at the
# same pace (supervisor.CHECK_EVERY_SECONDS), so a death is seen within about half a second.
REAP_EVERY_SECONDS = 0.25
# How long `spawn` waits for the zygote to say it has forked.
SPAWN_TIMEOUT_SECONDS = 10.0

Run = Callable[[int], None]


class ZygoteGone(RuntimeError):
    """The zygote no longer answers: `serve` cannot start workers."""


class ForkedProcess:
    """A worker forked by the zygote, as the supervisor uses a `subprocess.Popen`."""

    def __init__(self, zygote: Zygote, pid: int) -> None:
        self._zygote = zygote
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            self.returncode = self._zygote.ended(self.pid)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        code = self._zygote.wait_for(self.pid, timeout)
        if code is None:
            raise subprocess.TimeoutExpired(f"worker {self.pid}", timeout or 0.0)
        self.returncode = code
        return code

    def send_signal(self, number: int) -> None:
        if self.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, number)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


class Zygote:
    """`serve`'s end of the zygote: start it with `Zygote.fork(run)` while single-threaded."""

    def __init__(self, pid: int, requests: int, reports: int) -> None:
        self.pid = pid
        self._requests, self._reports = requests, reports
        self._started: queue.Queue[int] = queue.Queue()
        self._ended: dict[int, int] = {}
        self._changed = threading.Condition()
        self._lock = threading.Lock()
        self._alive = True
        self._usable = True
        self._reader: threading.Thread | None = None

    @classmethod
    def fork(cls, run: Run, parent_death: Callable[[int], None]) -> Zygote:
        """Forks the zygote. `run(number)` is what each worker runs (in a fresh fork of the
        zygote); `parent_death(signal)` asks the OS to send this process's child `signal` when
        its parent dies (workers.exit_with_parent)."""
        to_zygote, requests = os.pipe()
        reports, from_zygote = os.pipe()
        sys.stdout.flush()  # else whatever is buffered would be written again by each child
        sys.stderr.flush()
        gc.collect()
        # Objects made so far are never touched by the collector again, in either process: a
        # collection writes to every object it visits, which would unshare their pages.
        gc.freeze()
        pid = os.fork()
        if pid == 0:
            os.close(requests)
            os.close(reports)
            _serve_requests(to_zygote, from_zygote, run, parent_death)
        os.close(to_zygote)
        os.close(from_zygote)
        return cls(pid, requests, reports)

    def spawn(self, number: int) -> ForkedProcess:
        """Asks the zygote for worker `number`; answers once it has been forked."""
        with self._lock:
            self._read_reports()
            try:
                os.write(self._requests, f"spawn {number}\n".encode())
            except OSError as error:
                raise ZygoteGone(f"the worker zygote is gone ({error})") from None
            try:
                pid = self._started.get(timeout=SPAWN_TIMEOUT_SECONDS)
            except queue.Empty:
                # Its late answer would be taken for the next worker's: use it no more.
                with self._changed:
                    self._usable = False
                raise ZygoteGone("the worker zygote did not answer") from None
        return ForkedProcess(self, pid)

    @property
    def alive(self) -> bool:
        """Whether workers can still be asked of it."""
        with self._changed:
            return self._alive and self._usable

    def ended(self, pid: int) -> int | None:
        """The worker's return code once it has ended (negative: the signal), else None."""
        with self._changed:
            if pid in self._ended:
                return self._ended[pid]
            return None if self._alive else -signal.SIGKILL

    def wait_for(self, pid: int, timeout: float | None) -> int | None:
        with self._changed:
            self._changed.wait_for(lambda: self.ended(pid) is not None, timeout)
        return self.ended(pid)

    def close(self) -> None:
        """Lets the zygote go (call once the workers have stopped) and waits for it."""
        with contextlib.suppress(OSError):
            os.close(self._requests)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)
        if self._reader is not None:
            self._reader.join(timeout=5)

    def _read_reports(self) -> None:
        if self._reader is None:  # started with the first worker: `serve` may run threads now
            self._reader = threading.Thread(
                target=self._follow, name="flipshelf-zygote-reports", daemon=True
            )
            self._reader.start()

    def _follow(self) -> None:
        with os.fdopen(self._reports, "rb", buffering=0) as reports:
            for line in _lines(reports):
                kind, _, rest = line.partition(" ")
                if kind == "started":
                    self._started.put(int(rest))
                elif kind == "ended":
                    pid, code = rest.split()
                    with self._changed:
                        self._ended[int(pid)] = int(code)
                        self._changed.notify_all()
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)  # it has closed its end: it is leaving (no zombie left)
        with self._changed:  # the zygote has gone: so have its workers (parent-death signal)
            self._alive = False
            self._changed.notify_all()


def forked_or_exec(zygote: Zygote) -> Start:
    """Workers forked by `zygote`, or exec'd once it is gone (killed by an operator or the OOM
    killer): `serve` must keep converting, at the cost of memory, rather than stop for good."""
    exec_start = exec_worker()
    told = threading.Event()

    def start(number: int) -> WorkerProcess:
        reason = "the worker zygote has ended"
        if zygote.alive:
            try:
                return zygote.spawn(number)
            except ZygoteGone as gone:
                reason = str(gone)
        if not told.is_set():
            told.set()
            log.warning("workers are started as programs from now on", reason=reason)
        return exec_start(number)

    return start


def _lines(stream: BinaryIO) -> Iterator[str]:
    """The zygote's report lines, as they come, until it closes its end."""
    buffer = b""
    while True:
        chunk = stream.read(4096)
        if not chunk:
            return
        buffer += chunk
        *complete, buffer = buffer.split(b"\n")
        for line in complete:
            yield line.decode()


def _serve_requests(
    requests: int, reports: int, run: Run, parent_death: Callable[[int], None]
) -> NoReturn:
    """The zygote's whole life: fork a worker per request, report each worker's end, and leave
    when `serve` closes the pipe or dies."""
    from setproctitle import setproctitle

    code = 0
    try:
        setproctitle("flipshelf zygote (forks the workers of serve)")
        parent_death(signal.SIGKILL)  # `serve` killed with -9: nothing here is worth keeping
        # Ctrl-C and systemd's stop reach every process of the group; the zygote leaves only
        # when `serve`, which stops the workers first, lets it go.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        buffer = b""
        while True:
            ready, _, _ = select.select([requests], [], [], REAP_EVERY_SECONDS)
            _reap(reports)
            if not ready:
                continue
            chunk = os.read(requests, 4096)
            if not chunk:
                break
            buffer += chunk
            *complete, buffer = buffer.split(b"\n")
            for line in complete:
                number = int(line.decode().split()[1])
                pid = os.fork()
                if pid == 0:
                    os.close(requests)
                    os.close(reports)
                    _worker(number, run, parent_death)
                os.write(reports, f"started {pid}\n".encode())
        _reap(reports, wait=True)
    except BaseException:
        traceback.print_exc()
        code = 1
    finally:
        os._exit(code)


def _reap(reports: int, wait: bool = False) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, 0 if wait else os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        os.write(reports, f"ended {pid} {os.waitstatus_to_exitcode(status)}\n".encode())


def _worker(number: int, run: Run, parent_death: Callable[[int], None]) -> NoReturn:
    code = 0
    try:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        parent_death(signal.SIGTERM)
        run(number)
    except KeyboardInterrupt:
        code = 130  # stopped before Huey took over the signals: leave quietly, as exec'd ones do
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else 1
    except BaseException:
        traceback.print_exc()
        code = 1
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)
