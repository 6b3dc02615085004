"""Worker processes forked, not exec'd, so they share the imported code with `serve`.

Every Python process pays for what it imports, and an exec'd worker imports SQLAlchemy, Huey,
redis, pydantic and the conversion modules all over again: about 60 MB that `serve` already holds
(benchmarks/README.md, "memory.py"). A process forked after those imports shares their pages
with its parent until one of them writes there.

`serve` cannot fork workers itself once it runs: uvicorn and the supervisor are threads by then,
and a child forked beside other threads may inherit a lock one of them held (logging, malloc,
the import lock) and hang. So `serve` forks one helper, the zygote, right after importing what a
worker needs and before it starts any thread or opens any database connection. The zygote stays
single-threaded and does nothing but fork workers (and checkers) when asked and report how they
end. It ends when `serve` closes its request socket or dies (it holds nothing worth finishing),
and each child in turn receives the signal `exit_with_parent` asks for when the zygote goes.

To the supervisor a forked worker looks like a `subprocess.Popen`: `ForkedProcess` has the same
`pid`, `returncode`, `poll`, `wait`, `send_signal` and `kill` (and, for the upload checkers, a
`multiprocessing.Process`'s `is_alive`, `join` and `exitcode`).

The zygote also forks the API's upload checkers (`connect`): each gets one end of a socket pair,
passed over the request socket, and runs the `connected` function `serve` gave. Without it the
checkers came from multiprocessing's fork server, a fresh interpreter with its own resource
tracker, and one checker was kept warm: three more processes and 54 MB for an idle server
(benchmarks/README.md, "memory.py").
"""

from __future__ import annotations

import contextlib
import gc
import os
import queue
import select
import signal
import socket
import subprocess
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import BinaryIO, NoReturn

import structlog

from flipshelf.jobs.supervisor import Start, WorkerProcess, exec_worker

log = structlog.get_logger("flipshelf.supervisor")

# How often the zygote reaps its workers while no request comes; the supervisor checks at the
# same pace (supervisor.CHECK_EVERY_SECONDS), so a death is seen within about half a second.
REAP_EVERY_SECONDS = 0.25
# How long `spawn` waits for the zygote to say it has forked.
SPAWN_TIMEOUT_SECONDS = 10.0
# A request is one datagram: b"spawn N", or b"connect " + the payload for `connected`, with the
# connection's file descriptor attached. Larger ones are refused (a payload is a few hundred bytes).
MAX_REQUEST_BYTES = 65536

Run = Callable[[int], None]
# What a connected child runs: its end of the socket pair, and the payload sent with the request.
Connected = Callable[[socket.socket, bytes], None]


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

    # As a `multiprocessing.Process` (the upload checkers use these).

    def is_alive(self) -> bool:
        return self.poll() is None

    def join(self, timeout: float | None = None) -> None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.wait(timeout)

    @property
    def exitcode(self) -> int | None:
        return self.poll()

    @property
    def sentinel(self) -> None:
        """No descriptor tells of this process's end: its end of the connection does (EOF)."""
        return None


class Zygote:
    """`serve`'s end of the zygote: start it with `Zygote.fork(run)` while single-threaded."""

    def __init__(self, pid: int, requests: socket.socket, reports: int) -> None:
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
    def fork(
        cls, run: Run, parent_death: Callable[[int], None], connected: Connected | None = None
    ) -> Zygote:
        """Forks the zygote. `run(number)` is what each worker runs (in a fresh fork of the
        zygote), `connected(connection, payload)` what each child asked for by `connect` runs;
        `parent_death(signal)` asks the OS to send this process's child `signal` when its parent
        dies (workers.exit_with_parent)."""
        # Datagrams: a request and the descriptor sent with it arrive together, whole.
        requests, to_zygote = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        reports, from_zygote = os.pipe()
        sys.stdout.flush()  # else whatever is buffered would be written again by each child
        sys.stderr.flush()
        gc.collect()
        # Objects made so far are never touched by the collector again, in either process: a
        # collection writes to every object it visits, which would unshare their pages.
        gc.freeze()
        pid = os.fork()
        if pid == 0:
            requests.close()
            os.close(reports)
            _serve_requests(to_zygote, from_zygote, _Children(run, connected, parent_death))
        to_zygote.close()
        os.close(from_zygote)
        return cls(pid, requests, reports)

    def spawn(self, number: int) -> ForkedProcess:
        """Asks the zygote for worker `number`; answers once it has been forked."""
        return self._ask(f"spawn {number}".encode(), None)

    def connect(self, payload: bytes) -> tuple[ForkedProcess, socket.socket]:
        """Asks the zygote for a child running `connected(its end, payload)`; answers with that
        child and this process's end of their connection once it has been forked."""
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            child = self._ask(b"connect " + payload, theirs)
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()  # the child holds it now: its death is our end's EOF
        return child, ours

    def _ask(self, request: bytes, connection: socket.socket | None) -> ForkedProcess:
        if len(request) > MAX_REQUEST_BYTES:
            raise ValueError(f"a zygote request is at most {MAX_REQUEST_BYTES} bytes")
        with self._lock:
            self._read_reports()
            try:
                fds = [connection.fileno()] if connection else []
                socket.send_fds(self._requests, [request], fds)
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
            self._requests.close()
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


@dataclass(frozen=True)
class _Children:
    """What the zygote's children run."""

    run: Run
    connected: Connected | None
    parent_death: Callable[[int], None]


def _serve_requests(requests: socket.socket, reports: int, children: _Children) -> NoReturn:
    """The zygote's whole life: fork a child per request, report each child's end, and leave
    when `serve` closes its end or dies."""
    from setproctitle import setproctitle

    code = 0
    try:
        setproctitle("flipshelf zygote (forks the workers and checkers of serve)")
        children.parent_death(signal.SIGKILL)  # `serve` killed with -9: nothing here to keep
        # Ctrl-C and systemd's stop reach every process of the group; the zygote leaves only
        # when `serve`, which stops the workers first, lets it go.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        checkers: set[int] = set()  # connected children: nobody waits for them at the end
        while True:
            ready, _, _ = select.select([requests], [], [], REAP_EVERY_SECONDS)
            checkers -= _reap(reports)
            if not ready:
                continue
            request, fds, flags, _ = socket.recv_fds(requests, MAX_REQUEST_BYTES, 1)
            if not request:
                break  # `serve` has closed its end
            try:
                if flags & socket.MSG_TRUNC:
                    raise ValueError("a request longer than MAX_REQUEST_BYTES")
                pid = _fork_child(request, fds, requests, reports, children)
            finally:
                for fd in fds:
                    os.close(fd)  # the child has its copy
            if fds:
                checkers.add(pid)
            os.write(reports, f"started {pid}\n".encode())
        # `serve` is leaving and has stopped its workers: a checker still waiting for its next
        # upload (two idle minutes) would keep `serve` waiting for us. Nobody waits for it.
        for pid in checkers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        _reap(reports, wait=True)
    except BaseException:
        traceback.print_exc()
        code = 1
    finally:
        os._exit(code)


def _fork_child(
    request: bytes, fds: list[int], requests: socket.socket, reports: int, children: _Children
) -> int:
    kind, _, rest = request.partition(b" ")
    if kind == b"spawn":
        number = int(rest)
    elif not (kind == b"connect" and children.connected and len(fds) == 1):
        raise ValueError(f"not a zygote request: {request[:40]!r}")
    pid = os.fork()
    if pid == 0:
        requests.close()
        os.close(reports)
        if kind == b"spawn":
            _child(partial(children.run, number), None, children.parent_death, worker=True)
        assert children.connected is not None
        connection = socket.socket(fileno=fds[0])  # the child's copy; the zygote closes its own
        job = partial(children.connected, connection, rest)
        _child(job, "flipshelf upload checker (forked by serve)", children.parent_death)
    return pid


def _reap(reports: int, wait: bool = False) -> set[int]:
    """Reports each child that has ended; answers their pids."""
    ended: set[int] = set()
    while True:
        try:
            pid, status = os.waitpid(-1, 0 if wait else os.WNOHANG)
        except ChildProcessError:
            return ended
        if pid == 0:
            return ended
        ended.add(pid)
        os.write(reports, f"ended {pid} {os.waitstatus_to_exitcode(status)}\n".encode())


def _child(
    job: Callable[[], None],
    title: str | None,
    parent_death: Callable[[int], None],
    worker: bool = False,
) -> NoReturn:
    code = 0
    try:
        if title:
            from setproctitle import setproctitle

            setproctitle(title)
        if worker:
            signal.signal(signal.SIGINT, signal.default_int_handler)
        else:  # a checker stops when `serve` closes its connection, as it does on Ctrl-C
            signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        parent_death(signal.SIGTERM if worker else signal.SIGKILL)
        job()
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
