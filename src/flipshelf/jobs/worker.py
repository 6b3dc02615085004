"""`flipshelf worker`: runs queued jobs and sweeps for work whose worker died."""

from __future__ import annotations

import threading
from datetime import timedelta

import structlog

from flipshelf.jobs.convert import ConversionContext, RetryLater, run_conversion, run_zoom
from flipshelf.jobs.queue import HueyQueue

log = structlog.get_logger("flipshelf.worker")


class JobHandlers:
    """What a worker does with each job kind. The queue needs the handlers and the runtime
    needs the queue, so handlers are bound to both once they exist."""

    def __init__(self) -> None:
        self._bound: tuple[ConversionContext, HueyQueue] | None = None

    def bind(self, context: ConversionContext, queue: HueyQueue) -> None:
        self._bound = (context, queue)

    @property
    def context(self) -> ConversionContext:
        assert self._bound is not None, "handlers used before bind()"
        return self._bound[0]

    @property
    def queue(self) -> HueyQueue:
        assert self._bound is not None, "handlers used before bind()"
        return self._bound[1]

    def convert(self, flipbook_hash: str) -> None:
        try:
            finished = run_conversion(self.context, flipbook_hash)
        except RetryLater as retry:
            self.queue.convert_later(flipbook_hash, retry.delay)
            return
        if finished:
            self.queue.zoom(flipbook_hash)

    def zoom(self, flipbook_hash: str) -> None:
        source_key = self.context.conversions.source_key(flipbook_hash)
        if source_key is None:
            return  # the flipbook was deleted meanwhile
        try:
            run_zoom(self.context, flipbook_hash, source_key)
        except Exception:
            # The flipbook is complete without zoom images; the player uses the normal ones.
            log.exception("zoom pass failed", flipbook=flipbook_hash)


class Sweeper:
    """Re-queues conversions whose lease expired (worker killed) or whose message was lost."""

    def __init__(self, context: ConversionContext, queue: HueyQueue, interval: float) -> None:
        self._context, self._queue, self._interval = context, queue, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="flipshelf-sweep", daemon=True)

    def sweep_once(self) -> list[str]:
        # Grace: a queued job that has not started after two leases is taken as lost.
        grace = timedelta(seconds=2 * self._context.lease.total_seconds())
        lost = self._context.conversions.lost(self._context.clock.now(), grace)
        for flipbook_hash in lost:
            log.warning("re-queueing a lost conversion", flipbook=flipbook_hash)
            self._queue.convert(flipbook_hash)
        return lost

    def _loop(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self.sweep_once()
            except Exception:
                log.exception("sweep failed; trying again next interval")

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
