"""`flipshelf worker`: runs queued jobs and sweeps for work whose worker died."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta

import structlog

from flipshelf.domain.layout import package_attempt_prefix
from flipshelf.domain.packages import KEEP_SUPERSEDED
from flipshelf.domain.webhooks import KEEP_DELIVERIES
from flipshelf.jobs.conversion_job import ConversionContext, run_conversion, run_zoom
from flipshelf.jobs.outcomes import RetryLater
from flipshelf.jobs.package_job import PackageContext, run_package_build
from flipshelf.jobs.queue import HueyQueue
from flipshelf.jobs.webhook_job import DeliveryContext, run_delivery
from flipshelf.services.webhooks import queue_waiting

log = structlog.get_logger("flipshelf.worker")


def hand_over(job: str, send: Callable[..., object], *args: object) -> None:
    """Hands follow-up work to the queue. The database row is the truth and the sweep sends
    again whatever was not sent, so a queue that cannot be reached (Redis restarting) costs a
    delay, never the work: one warning, no traceback."""
    try:
        send(*args)
    except Exception as error:
        log.warning("could not queue; the sweep will send it", job=job, error=type(error).__name__)


class JobHandlers:
    """What a worker does with each job kind. The queue needs the handlers and the runtime
    needs the queue, so handlers are bound to both once they exist."""

    def __init__(self) -> None:
        self._bound: tuple[ConversionContext, HueyQueue] | None = None
        self._packages: PackageContext | None = None
        self._webhooks: DeliveryContext | None = None

    def bind(
        self,
        context: ConversionContext,
        queue: HueyQueue,
        packages: PackageContext | None = None,
        webhooks: DeliveryContext | None = None,
    ) -> None:
        self._bound = (context, queue)
        self._packages = packages
        self._webhooks = webhooks

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
            hand_over("conversion", self.queue.convert_later, flipbook_hash, retry.delay)
            return
        finally:
            self._send_events()
        if finished and self.context.zoom_pass:
            hand_over("zoom pass", self.queue.zoom, flipbook_hash)

    def zoom(self, flipbook_hash: str) -> None:
        source_key = self.context.conversions.source_key(flipbook_hash)
        if source_key is None:
            return  # the flipbook was deleted meanwhile
        try:
            run_zoom(self.context, flipbook_hash, source_key)
        except Exception:
            # The book stays readable with its normal images meanwhile (the player falls back).
            log.exception("zoom pass failed; the sweep tries again", flipbook=flipbook_hash)

    def package(self, package_id: int) -> None:
        assert self._packages is not None, "package handler used before bind()"
        try:
            run_package_build(self._packages, package_id)
        except RetryLater as retry:
            hand_over("package build", self.queue.package_later, package_id, retry.delay)
        finally:
            self._send_events()

    def deliver(self, delivery_id: int) -> None:
        assert self._webhooks is not None, "delivery handler used before bind()"
        try:
            run_delivery(self._webhooks, delivery_id)
        except RetryLater as retry:
            hand_over("delivery", self.queue.deliver_later, delivery_id, retry.delay)

    def _send_events(self) -> None:
        """Queues the webhook deliveries the job's outcome recorded (db/outbox.py)."""
        if self._webhooks is not None:
            webhooks = self._webhooks
            deliveries, clock = webhooks.webhooks.deliveries, webhooks.clock
            hand_over("deliveries", queue_waiting, deliveries, self.queue, clock)


class Sweeper:
    """Re-queues conversions, package builds and webhook deliveries whose lease expired (worker
    killed) or whose message was lost, deletes packages of versions their collection has moved
    past, and prunes old delivery logs."""

    def __init__(
        self,
        context: ConversionContext,
        queue: HueyQueue,
        interval: float,
        packages: PackageContext | None = None,
        webhooks: DeliveryContext | None = None,
        outage: Callable[[BaseException], str | None] = lambda _error: None,
    ) -> None:
        self._context, self._queue, self._interval = context, queue, interval
        self._packages, self._webhooks = packages, webhooks
        # Names the dependency an error shows unreachable (flipshelf/health.py): a sweep that
        # meets an outage says so once, not with a traceback at every interval.
        self._outage, self._down = outage, False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="flipshelf-sweep", daemon=True)

    def sweep_once(self) -> list[str]:
        # Grace: a queued job that has not started after two leases is taken as lost.
        grace = timedelta(seconds=2 * self._context.lease.total_seconds())
        lost = self._context.conversions.lost(self._context.clock.now(), grace)
        for flipbook_hash in lost:
            log.warning("re-queueing a lost conversion", flipbook=flipbook_hash)
            hand_over("conversion", self._queue.convert, flipbook_hash)
        self.sweep_zooms(grace)
        if self._packages is not None:
            self.sweep_packages(self._packages)
        if self._webhooks is not None:
            self.sweep_deliveries(self._webhooks)
        return lost

    def sweep_zooms(self, grace: timedelta) -> list[str]:
        context = self._context
        if not context.zoom_pass:
            return []  # zoom images are drawn on demand: a due pass is not resurrected
        lost = context.conversions.lost_zooms(context.clock.now(), grace, context.attempts)
        for flipbook_hash in lost:
            log.warning("re-queueing a lost zoom pass", flipbook=flipbook_hash)
            hand_over("zoom pass", self._queue.zoom, flipbook_hash)
        return lost

    def sweep_packages(self, packages: PackageContext) -> list[int]:
        now = packages.clock.now()
        grace = timedelta(seconds=2 * packages.lease.total_seconds())
        lost = packages.packages.lost(now, grace)
        for package_id in lost:
            log.warning("re-queueing a lost package build", package=package_id)
            hand_over("package build", self._queue.package, package_id)
        for key in packages.packages.remove_superseded(now - KEEP_SUPERSEDED):
            packages.files.delete_prefix(package_attempt_prefix(key))
        return lost

    def sweep_deliveries(self, webhooks: DeliveryContext) -> list[int]:
        now = webhooks.clock.now()
        grace = timedelta(seconds=2 * webhooks.lease.total_seconds())
        deliveries = webhooks.webhooks.deliveries
        lost = deliveries.lost(now, grace)
        for delivery_id in lost:
            log.info("re-queueing a webhook delivery", delivery=delivery_id)
            hand_over("delivery", self._queue.deliver, delivery_id)
        deliveries.prune(now - KEEP_DELIVERIES)
        return lost

    def _loop(self) -> None:
        while not self._stop.wait(self._interval):
            self.sweep_guarded()

    def sweep_guarded(self) -> None:
        """One sweep as the loop runs it: an outage is one warning until it ends (then one
        line), a bug a traceback each time."""
        try:
            self.sweep_once()
        except Exception as error:
            dependency = self._outage(error)
            if dependency is None:
                log.exception("sweep failed; trying again next interval")
            elif not self._down:
                log.warning("sweep: dependency unreachable; trying again", dependency=dependency)
            self._down = dependency is not None
            return
        if self._down:
            log.warning("sweep: dependencies answer again")
            self._down = False

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
