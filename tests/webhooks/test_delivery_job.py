"""The delivery job (jobs/webhook_job.py) on a real database, posting through the real guarded
sender to a real receiver on 127.0.0.1: signing, retries, leases, giving up, disabling."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import timedelta

import pytest

from flipshelf.db.conversions import SqlConversions
from flipshelf.db.workers import SqlWorkers
from flipshelf.domain.collections import ConvertStatus
from flipshelf.domain.webhooks import Delivery, Endpoint
from flipshelf.fetch.policy import AllowList
from flipshelf.fetch.webhooks import GuardedWebhookSender
from flipshelf.jobs.outcomes import RetryLater
from flipshelf.jobs.webhook_job import DeliveryContext, run_delivery
from flipshelf.jobs.worker import Sweeper
from flipshelf.runtime import Runtime, conversion_context, delivery_context, outbox
from flipshelf.services import webhooks
from tests.support import FixedClock, RecordingQueue, Tenant, seed_collection
from tests.webhook_receiver import Receiver, receiving
from tests.webhooks.conftest import register


@pytest.fixture
def ctx(runtime: Runtime) -> DeliveryContext:
    return delivery_context(runtime)


def finish_one(runtime: Runtime, tenant: Tenant) -> None:
    """A flipbook of the tenant converts: its event is recorded, its deliveries unqueued."""
    collection = seed_collection(runtime, tenant, items=(ConvertStatus.PROCESSING,))
    conversions = SqlConversions(runtime.db, outbox(runtime.settings))
    now = runtime.ports.clock.now()
    job = conversions.claim(collection.items[0].hash, now, timedelta(seconds=60))
    assert job is not None
    assert conversions.finish(job, now, ConvertStatus.COMPLETE, page_count=3)


def convert_one(runtime: Runtime, tenant: Tenant) -> list[int]:
    """A flipbook of the tenant converts; answers the deliveries its event made."""
    finish_one(runtime, tenant)
    return runtime.ports.webhooks.deliveries.unqueued(runtime.ports.clock.now())


def now_seconds(clock: FixedClock) -> float:
    return clock.now().timestamp()


def log_of(runtime: Runtime, endpoint: Endpoint) -> list[Delivery]:
    """The endpoint's delivery log, newest first."""
    return webhooks.delivery_log(runtime.ports, None, endpoint.public_id, 0, 50)[1]


def sweeper(runtime: Runtime, ctx: DeliveryContext, queue: RecordingQueue) -> Sweeper:
    return Sweeper(conversion_context(runtime), queue, 60, webhooks=ctx)  # type: ignore[arg-type]


def test_a_delivery_is_signed_posted_once_and_logged(
    runtime: Runtime, tenant: Tenant, ctx: DeliveryContext, receiver: Receiver, clock: FixedClock
) -> None:
    endpoint, secret = register(runtime, tenant, receiver.url)
    [delivery] = convert_one(runtime, tenant)
    assert run_delivery(ctx, delivery) is True
    assert run_delivery(ctx, delivery) is False  # a duplicate message does nothing
    [got] = receiver.received
    event = got.verify(secret, now=now_seconds(clock))
    assert event["event"] == "flipbook.converted"
    assert got.path == "/hooks/flipshelf"
    assert got.headers["content-type"] == "application/json"
    assert got.headers["flipshelf-event-id"] == event["id"]
    assert got.headers["flipshelf-event"] == "flipbook.converted"
    assert got.headers["user-agent"].startswith("flipshelf/")
    total, [logged] = webhooks.delivery_log(
        runtime.ports, tenant.account, endpoint.public_id, 0, 50
    )
    assert total == 1
    assert (logged.event_id, logged.status.value, logged.attempts) == (event["id"], "delivered", 1)
    assert (logged.last_status_code, logged.last_error) == (200, None)
    assert logged.delivered_at == clock.now() and logged.next_attempt_at is None
    found = runtime.ports.webhooks.store.endpoint(endpoint.public_id)
    assert found is not None and found.last_success_at == clock.now()


def test_a_500_is_retried_after_the_first_delay_and_the_same_event_delivered(
    runtime: Runtime, tenant: Tenant, ctx: DeliveryContext, clock: FixedClock
) -> None:
    with receiving(statuses=(500, 200)) as receiver:
        endpoint, secret = register(runtime, tenant, receiver.url)
        [delivery] = convert_one(runtime, tenant)
        with pytest.raises(RetryLater) as retry:
            run_delivery(ctx, delivery)
        assert retry.value.delay == 10.0
        [logged] = log_of(runtime, endpoint)
        assert (logged.status.value, logged.last_status_code, logged.last_error) == (
            "pending",
            500,
            "HTTP 500",
        )
        assert logged.next_attempt_at == clock.now() + timedelta(seconds=10)
        clock.advance(seconds=10)
        assert run_delivery(ctx, delivery) is True
        first, second = receiver.received
    assert first.body == second.body  # the same event, byte for byte
    assert len(receiver.events(secret, now=now_seconds(clock))) == 1
    [logged] = log_of(runtime, endpoint)
    assert (logged.status.value, logged.attempts, logged.last_status_code) == ("delivered", 2, 200)
    found = runtime.ports.webhooks.store.endpoint(endpoint.public_id)
    assert found is not None and found.failing_since is None


def test_a_worker_that_died_mid_post_leaves_the_delivery_to_the_next(
    runtime: Runtime, tenant: Tenant, ctx: DeliveryContext, receiver: Receiver, clock: FixedClock
) -> None:
    register(runtime, tenant, receiver.url)
    [delivery] = convert_one(runtime, tenant)
    deliveries = runtime.ports.webhooks.deliveries
    assert deliveries.claim(delivery, clock.now(), ctx.lease, "host:4242") is not None  # dies
    assert run_delivery(ctx, delivery) is False  # its lease still holds
    queue = RecordingQueue()
    sweep = sweeper(runtime, ctx, queue)
    assert sweep.sweep_deliveries(ctx) == []
    # Its supervisor saw it die: the lease ends now, and the next sweep sends the delivery again.
    assert SqlWorkers(runtime.db).expire_leases("host:4242", clock.now()) == 1
    clock.advance(seconds=1)
    assert sweep.sweep_deliveries(ctx) == [delivery]
    assert queue.deliveries == [delivery]
    assert run_delivery(ctx, delivery) is True
    assert len(receiver.received) == 1


def test_an_expired_lease_is_swept_without_the_supervisor(
    runtime: Runtime, tenant: Tenant, ctx: DeliveryContext, clock: FixedClock
) -> None:
    register(runtime, tenant, "http://127.0.0.1:9/never")
    [delivery] = convert_one(runtime, tenant)
    assert runtime.ports.webhooks.deliveries.claim(delivery, clock.now(), ctx.lease) is not None
    sweep = sweeper(runtime, ctx, RecordingQueue())
    clock.advance(seconds=ctx.lease.total_seconds() + 1)
    assert sweep.sweep_deliveries(ctx) == [delivery]
    assert sweep.sweep_deliveries(ctx) == []  # sent once per grace period


def test_a_delivery_is_given_up_at_the_end_of_its_window(
    runtime: Runtime, tenant: Tenant, ctx: DeliveryContext, clock: FixedClock
) -> None:
    with receiving(statuses=(503,)) as receiver:
        endpoint, _ = register(runtime, tenant, receiver.url)
        [delivery] = convert_one(runtime, tenant)
        tries = 0
        while True:
            tries += 1
            try:
                run_delivery(ctx, delivery)
            except RetryLater as retry:
                clock.advance(seconds=retry.delay)
                continue
            break
    assert tries == 34 == len(receiver.received)  # the first try, then the schedule of a day
    [logged] = log_of(runtime, endpoint)
    assert (logged.status.value, logged.last_error, logged.attempts) == ("failed", "HTTP 503", 34)
    found = runtime.ports.webhooks.store.endpoint(endpoint.public_id)
    assert found is not None and found.enabled  # a day of failures is not yet "days"


def test_an_endpoint_failing_for_days_is_disabled_and_its_owner_can_read_why(
    runtime: Runtime, tenant: Tenant, ctx: DeliveryContext, clock: FixedClock
) -> None:
    with receiving(statuses=(500,)) as receiver:
        endpoint, secret = register(runtime, tenant, receiver.url)
        [first] = convert_one(runtime, tenant)
        with pytest.raises(RetryLater):
            run_delivery(ctx, first)  # failing since now
        clock.advance(days=3)
        [second] = convert_one(runtime, tenant)
        assert run_delivery(ctx, second) is False  # no RetryLater: given up with the endpoint
        found = runtime.ports.webhooks.store.endpoint(endpoint.public_id)
        assert found is not None and not found.enabled
        assert found.disabled_reason == (
            "no successful delivery since 2026-11-23T12:00:00Z; last error: HTTP 500"
        )
        log = log_of(runtime, endpoint)
        assert [(d.status.value, d.last_error) for d in log] == [
            ("failed", "HTTP 500"),
            ("failed", "HTTP 500"),  # the first one's retry will not come
        ]
        assert convert_one(runtime, tenant) == []  # a disabled endpoint gets no new events
        # Its owner fixed the receiver and asks for an event again: it is enabled and sent.
        receiver.statuses = [200]
        again = webhooks.redeliver(
            runtime.ports, tenant.account, endpoint.public_id, log[0].event_id
        )
        assert again.status.value == "pending"
        queue = runtime.ports.queue
        assert isinstance(queue, RecordingQueue)
        assert run_delivery(ctx, queue.deliveries[-1]) is True
        found = runtime.ports.webhooks.store.endpoint(endpoint.public_id)
        assert found is not None and found.enabled and found.failing_since is None
        assert receiver.received[-1].verify(secret, now=now_seconds(clock))["id"] == log[0].event_id


def test_a_delivery_to_an_endpoint_deleted_meanwhile_changes_nothing(
    runtime: Runtime, tenant: Tenant, ctx: DeliveryContext, receiver: Receiver
) -> None:
    endpoint, _ = register(runtime, tenant, receiver.url)
    [delivery] = convert_one(runtime, tenant)
    webhooks.delete_endpoint(runtime.ports, tenant.account, endpoint.public_id)
    assert run_delivery(ctx, delivery) is False
    assert receiver.received == []


def test_the_guard_is_asked_again_at_delivery(
    runtime: Runtime, tenant: Tenant, ctx: DeliveryContext, receiver: Receiver
) -> None:
    """Allowed when registered, refused when delivered (the operator narrowed the allow-list;
    DNS changing its answer has the same effect, tests/integration/fetch shows it)."""
    endpoint, _ = register(runtime, tenant, receiver.url)
    [delivery] = convert_one(runtime, tenant)
    strict = replace(ctx.webhooks, sender=GuardedWebhookSender(AllowList(), 5))
    with pytest.raises(RetryLater):
        run_delivery(replace(ctx, webhooks=strict), delivery)
    assert receiver.received == []
    [logged] = log_of(runtime, endpoint)
    assert logged.last_error == "refused: the host leads to an address that is not allowed"
    assert "127.0.0.1" not in (logged.last_error or "")  # where names lead stays in the log


def test_finished_deliveries_are_pruned_after_a_month(
    runtime: Runtime, tenant: Tenant, ctx: DeliveryContext, receiver: Receiver, clock: FixedClock
) -> None:
    endpoint, _ = register(runtime, tenant, receiver.url)
    [delivery] = convert_one(runtime, tenant)
    assert run_delivery(ctx, delivery)
    sweep = sweeper(runtime, ctx, RecordingQueue())
    clock.advance(days=29)
    sweep.sweep_deliveries(ctx)
    assert len(log_of(runtime, endpoint)) == 1
    clock.advance(days=2)
    sweep.sweep_deliveries(ctx)
    assert log_of(runtime, endpoint) == []


def test_new_deliveries_are_handed_out_once_to_concurrent_callers(
    runtime: Runtime, tenant: Tenant, receiver: Receiver
) -> None:
    """The API and several workers call send_pending at once: each delivery is queued once."""
    for _ in range(4):
        register(runtime, tenant, receiver.url)
    for _ in range(6):
        finish_one(runtime, tenant)  # 24 deliveries, none queued yet
    deliveries, now = runtime.ports.webhooks.deliveries, runtime.ports.clock.now()
    start = threading.Barrier(4)

    def hand_out() -> list[int]:
        start.wait()
        taken: list[int] = []
        while batch := deliveries.unqueued(now, limit=3):
            taken += batch
        return taken

    with ThreadPoolExecutor(4) as pool:
        handed = [i for part in pool.map(lambda _: hand_out(), range(4)) for i in part]
    assert len(handed) == len(set(handed)) == 24
