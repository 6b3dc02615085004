"""The parent's side of the worker processes of one conversion.

Why not `concurrent.futures.ProcessPoolExecutor`: when a worker dies it reports only "broken pool",
not whether the kernel ended it for CPU time (SIGXCPU) or it crashed; it cannot be killed at a
deadline; and it pickles results, so the parent would unpickle bytes from a process that has parsed
an untrusted file. Here each worker has its own pipe carrying JSON, the parent waits on pipes and
process sentinels together, and knows at once which worker died and how.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import signal
import time
from collections import deque
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from multiprocessing.context import ForkServerContext, SpawnContext
from multiprocessing.process import BaseProcess
from types import TracebackType
from typing import NamedTuple, Protocol

from flipshelf.conversion import errors
from flipshelf.conversion.messages import (
    Answer,
    Command,
    Stop,
    decode_answer,
    encode_command,
)
from flipshelf.conversion.worker import MAX_MESSAGE_BYTES, WorkerJob, main

# Modules the fork server imports once, so each worker starts in a few milliseconds instead of
# the ~70 ms a "spawn" start (a fresh interpreter and imports) costs. "__main__" too: every
# spawn-style child re-imports the parent's main module, which is then already in sys.modules.
_PRELOAD = [
    "__main__",
    "flipshelf.conversion.worker",
    "flipshelf.conversion.checker_process",
    "flipshelf.conversion.pdfium",
]


def worker_context() -> ForkServerContext | SpawnContext:
    """ "forkserver" where the platform has it, else "spawn"; never "fork" (unsafe with threads)."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        forkserver = multiprocessing.get_context("forkserver")
        forkserver.set_forkserver_preload(_PRELOAD)
        return forkserver
    return multiprocessing.get_context("spawn")


@dataclass
class Worker:
    """One worker process, the parent's end of its pipe, and the commands it has not answered
    yet, oldest first (a worker answers in order, so an answer is for the oldest)."""

    process: BaseProcess
    conn: Connection
    sent: deque[Command] = field(default_factory=deque)

    @property
    def outstanding(self) -> int:
        return len(self.sent)


class Received(NamedTuple):
    """An answer (a `Refused` one too), the worker that gave it and the command it answers."""

    worker: Worker
    answer: Answer
    command: Command


class WorkerPool:
    """Starts workers for one job, sends them commands, and turns every failure into an error.

    Use as a context manager: leaving it stops the workers, killing any that do not stop at once.
    """

    def __init__(self, job: WorkerJob) -> None:
        self._job = job
        self._context = worker_context()
        self.workers: list[Worker] = []
        wall = job.options.limits.wall_seconds
        self._deadline = time.monotonic() + wall if wall is not None else None

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def start(self) -> Worker:
        parent_end, child_end = self._context.Pipe(duplex=True)
        process = self._context.Process(
            target=main, args=(child_end, self._job), name="flipshelf-conversion", daemon=True
        )
        process.start()
        # Closing our copy of the child's end makes a dead worker's pipe report EOF.
        child_end.close()
        worker = Worker(process, parent_end)
        self.workers.append(worker)
        return worker

    def send(self, worker: Worker, command: Command) -> None:
        worker.conn.send_bytes(encode_command(command))
        worker.sent.append(command)

    def receive(self) -> Received:
        """The next answer from any worker that owes one. A worker's refusal is an answer
        (`messages.expect` raises it); a worker's death or the deadline raise here."""
        busy = [worker for worker in self.workers if worker.outstanding > 0]
        if not busy:
            raise RuntimeError("no worker owes an answer")
        while True:
            handles = [w.conn for w in busy] + [w.process.sentinel for w in busy]
            ready = wait(handles, self._timeout())
            if not ready:
                raise errors.ResourceLimitExceeded(errors.TIME_EXCEEDED)
            for worker in busy:
                if worker.conn in ready:
                    answer = self._read(worker)
                    return Received(worker, answer, worker.sent.popleft())
            for worker in busy:
                if worker.process.sentinel in ready:
                    raise death_error(worker.process)

    def _read(self, worker: Worker) -> Answer:
        try:
            answer = decode_answer(worker.conn.recv_bytes(MAX_MESSAGE_BYTES))
        except (EOFError, OSError):
            worker.process.join(timeout=1.0)
            raise death_error(worker.process) from None
        return answer

    def _timeout(self) -> float | None:
        if self._deadline is None:
            return None
        return max(0.0, self._deadline - time.monotonic())

    def close(self) -> None:
        for worker in self.workers:
            _stop(worker)
        for worker in self.workers:
            worker.process.join(timeout=2.0)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()
            worker.conn.close()
        self.workers.clear()


def _stop(worker: Worker) -> None:
    if worker.outstanding > 0:
        # Busy on a page nobody will read: do not wait for it.
        worker.process.kill()
        return
    with contextlib.suppress(OSError):  # already gone
        worker.conn.send_bytes(encode_command(Stop()))


class Ended(Protocol):
    """A process that may have ended, and how (negative: the signal that ended it)."""

    @property
    def exitcode(self) -> int | None: ...


def death_error(process: Ended) -> errors.ConversionError:
    """The error a parsing process's death stands for, told by how it ended."""
    code = process.exitcode
    if code == -signal.SIGXCPU:
        return errors.ResourceLimitExceeded(errors.CPU_TIME_EXCEEDED)
    if code == -signal.SIGKILL:
        # Only the kernel kills workers behind our back: its OOM killer.
        return errors.ResourceLimitExceeded(errors.OUT_OF_MEMORY)
    return errors.ConversionFailed(errors.RENDERER_CRASHED)
