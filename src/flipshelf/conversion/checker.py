"""Checking uploads while the client waits, in a few long-lived checker processes.

An upload is opened (never in the API process: PDFium is not thread-safe, and a hostile file must
not take the API down) to confirm its type and count its pages, so a bad file answers 45 or 35 at
once. Two rules keep that check from hurting good uploads:

- No process per upload. Starting one costs tens of milliseconds on an idle machine and seconds on
  a busy one (measured: 23 s for one upload while ten were in flight). Checkers are started on
  demand, at most `processes` of them, reused, and leave by themselves once idle.
- The clock never refuses a file. A check that does not answer within its deadline (a busy
  machine, a slow disk) gives `NoVerdict`: the caller accepts the upload and its conversion worker
  judges the file (FAILED with its reason). Only the file itself can earn a refusal: an answer that
  it is unreadable, or a checker killed by the file's CPU or memory limit.

How a checker process starts is the process's choice (`start_checkers_with`): by default
multiprocessing's fork server; `serve` has its zygote fork them (workers.zygote_checkers), which
saves the fork server and its resource tracker.
"""

from __future__ import annotations

import contextlib
import pickle
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Protocol

from flipshelf.conversion.checker_process import main
from flipshelf.conversion.images import ReencodedImage
from flipshelf.conversion.manifest import PageImage
from flipshelf.conversion.messages import (
    Answer,
    Command,
    Count,
    Counted,
    DrawZoomAt,
    Reencode,
    Reencoded,
    Stop,
    ZoomDrawn,
    decode_answer,
    encode_command,
    expect,
)
from flipshelf.conversion.options import ConversionOptions
from flipshelf.conversion.pool import Ended, death_error, worker_context
from flipshelf.conversion.sniff import DocumentKind
from flipshelf.conversion.worker import MAX_MESSAGE_BYTES

# A checker leaves after this long without work; the parent stops handing it work a little
# earlier, so a command never races the checker's own exit.
IDLE_SECONDS = 120.0
REUSE_MARGIN_SECONDS = 15.0


class NoVerdict(Exception):
    """No checker answered in time: the file is neither accepted as good nor refused as bad."""


class CheckerProcess(Ended, Protocol):
    """A checker process as its parent sees it: a `multiprocessing.Process`, or a child of
    `serve`'s zygote (`jobs.zygote.ForkedProcess`)."""

    @property
    def pid(self) -> int | None: ...

    @property
    def sentinel(self) -> int | None:
        """A descriptor readable once the process has ended, if it has one."""

    def is_alive(self) -> bool: ...

    def kill(self) -> None: ...

    def join(self, timeout: float | None = None) -> None: ...


# Starts a checker process running `checker_process.main(its end, options, idle seconds)`;
# answers the process and the parent's end of their connection.
StartChecker = Callable[[ConversionOptions, float], tuple[CheckerProcess, Connection]]


def forkserver_checker(
    options: ConversionOptions, idle_seconds: float
) -> tuple[CheckerProcess, Connection]:
    """A checker started by multiprocessing's fork server (pool.worker_context)."""
    context = worker_context()
    parent_end, child_end = context.Pipe(duplex=True)
    process = context.Process(
        target=main,
        args=(child_end, options, idle_seconds),
        name="flipshelf-upload-check",
        daemon=True,
    )
    process.start()
    child_end.close()  # a dead checker's pipe then reports EOF
    return process, parent_end


_start_checker: StartChecker = forkserver_checker
# A checker from the fork server is worth starting before the first upload: the server itself is
# a fresh interpreter importing PDFium (the first create measured 353-1,084 ms without one
# ready). A fork of `serve`'s zygote is not: the first create took 48-62 ms without a warm
# checker, 45 ms with one (benchmarks/first_page.py), and an idle one costs about 24 MB.
_warm_up = True


def start_checkers_with(start: StartChecker, *, warm_up: bool) -> None:
    """How this process starts its checkers from now on (`serve`: from its zygote), and whether
    one is worth starting before it is needed (`UploadChecker.warm_up`)."""
    global _start_checker, _warm_up
    _start_checker, _warm_up = start, warm_up


def checker_request(options: ConversionOptions, idle_seconds: float) -> bytes:
    """What a forked checker needs to know, for `run_forked_checker` in the child. Pickled: it
    goes from `serve` to its own fork over a socket pair nobody else holds."""
    return pickle.dumps((options, idle_seconds))


def run_forked_checker(connection: socket.socket, request: bytes) -> None:
    """A checker's life in a child forked for it (the zygote's `connected`)."""
    # From `serve`, its parent's parent, over their private socket pair (`checker_request`), as
    # multiprocessing's fork server unpickles what its parent sends.
    options, idle_seconds = pickle.loads(request)  # noqa: S301
    main(Connection(connection.detach()), options, idle_seconds)


@dataclass
class _Checker:
    process: CheckerProcess
    conn: Connection
    last_used: float = field(default_factory=time.monotonic)

    def fresh(self, now: float) -> bool:
        return (
            self.process.is_alive() and now - self.last_used < IDLE_SECONDS - REUSE_MARGIN_SECONDS
        )

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=5)
        self.conn.close()


class UploadChecker:
    """The checker processes of one API process. Thread-safe: requests call it from threads."""

    def __init__(self, options: ConversionOptions, processes: int = 2) -> None:
        self._options = options
        self._slots = threading.BoundedSemaphore(max(1, processes))
        self._lock = threading.Lock()
        self._idle: list[_Checker] = []

    def count_pages(self, path: Path, kind: DocumentKind, seconds: float) -> int:
        """Pages of the document at `path`. Raises UnsupportedDocument (or another
        ConversionError) for a bad file, NoVerdict when no answer came within `seconds`."""
        return expect(self._ask(Count(str(path), kind), seconds), Counted).count

    def reencode(self, src: Path, dst: Path, max_side: int, seconds: float) -> ReencodedImage:
        """A logo or background re-encoded into `dst` (see `images.reencode`)."""
        command = Reencode(str(src), str(dst), max_side)
        return expect(self._ask(command, seconds), Reencoded).image

    def draw_zoom(
        self, path: Path, kind: str, index: int, width: int, dst: Path, seconds: float
    ) -> PageImage:
        """Page `index`'s zoom image `width` pixels wide, written to `dst` (`pages.draw_zoom_at`).
        The same long-lived processes as upload checks, in a pool of its own (`ZoomImages`)."""
        command = DrawZoomAt(str(path), kind, index, width, str(dst))
        return expect(self._ask(command, seconds), ZoomDrawn).image

    def _ask(self, command: Command, seconds: float) -> Answer:
        deadline = time.monotonic() + seconds
        if not self._slots.acquire(timeout=seconds):
            raise NoVerdict("every checker was busy")
        try:
            for _ in range(2):  # once more only if a checker had just left on its own
                checker = self._take()
                try:
                    answer = self._exchange(checker, command, deadline)
                except _LeftIdle:
                    continue
                except BaseException:
                    checker.kill()  # busy on a file nobody waits for, or dead
                    raise
                self._give_back(checker)  # a refused file is an answer too: the checker is fine
                return answer
            raise NoVerdict("checkers kept leaving")
        finally:
            self._slots.release()

    def _take(self) -> _Checker:
        now = time.monotonic()
        with self._lock:
            while self._idle:
                checker = self._idle.pop()
                if checker.fresh(now):
                    return checker
                _stop(checker)
        return self._start()

    def _start(self) -> _Checker:
        return _Checker(*_start_checker(self._options, IDLE_SECONDS))

    def _exchange(self, checker: _Checker, command: Command, deadline: float) -> Answer:
        try:
            checker.conn.send_bytes(encode_command(command))
        except OSError:
            raise _LeftIdle() from None
        sentinel = checker.process.sentinel
        waited_for: list[Connection | int] = [checker.conn]
        if sentinel is not None:
            waited_for.append(sentinel)
        ready = wait(waited_for, max(0.0, deadline - time.monotonic()))
        if not ready:
            raise NoVerdict("no answer before the deadline")
        try:
            return decode_answer(checker.conn.recv_bytes(MAX_MESSAGE_BYTES))
        except (EOFError, OSError):
            checker.process.join(timeout=5)
            if checker.process.exitcode == 0:
                raise _LeftIdle() from None
            raise death_error(checker.process) from None

    def _give_back(self, checker: _Checker) -> None:
        checker.last_used = time.monotonic()
        with self._lock:
            self._idle.append(checker)

    def warm_up(self) -> None:
        """Starts one checker (and the fork server behind it) in the background, so the first
        upload after start does not wait for them; nothing where checkers start quickly."""
        if not _warm_up:
            return

        def start() -> None:
            with contextlib.suppress(Exception):  # the first upload starts one anyway
                self._give_back(self._start())

        threading.Thread(target=start, name="flipshelf-checker-warm-up", daemon=True).start()

    def idle_pids(self) -> list[int]:
        """Process ids of the checkers waiting for work."""
        with self._lock:
            return [checker.process.pid for checker in self._idle if checker.process.pid]

    def close(self) -> None:
        """Stops the idle checkers (busy ones are killed by the request that waits on them)."""
        with self._lock:
            idle, self._idle = self._idle, []
        for checker in idle:
            _stop(checker)


class _LeftIdle(Exception):
    """The checker had left on its own (idle) just before it was handed this command."""


def _stop(checker: _Checker) -> None:
    with contextlib.suppress(OSError):  # already gone
        checker.conn.send_bytes(encode_command(Stop()))
    checker.process.join(timeout=2)
    checker.kill()
