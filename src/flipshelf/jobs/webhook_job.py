"""The webhook delivery job (a worker's use case): claim the delivery, sign its event's body, post
it through the guard, record what came of it.

Safe to run twice: a claim is a conditional UPDATE, so a duplicate message (or a sweep's resend)
of a delivery that is in flight or done does nothing. A worker killed after posting and before
recording leaves the delivery pending: it is posted again, with the same event id and body, which
is why receivers deduplicate by id (at least once, never lost).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import structlog

from flipshelf.domain.webhooks import (
    Attempt,
    ClaimedDelivery,
    delivery_headers,
    disabled_reason,
    next_attempt,
    should_disable,
)
from flipshelf.jobs.outcomes import RetryLater
from flipshelf.services.ports import Clock
from flipshelf.services.webhook_ports import WebhookPorts
from flipshelf.services.webhooks import secret_context

log = structlog.get_logger("flipshelf.webhooks")


@dataclass(frozen=True)
class DeliveryContext:
    webhooks: WebhookPorts
    clock: Clock
    lease: timedelta
    # The worker holding the leases it takes (see `jobs.supervisor.lease_owner`).
    owner: str = ""


def run_delivery(ctx: DeliveryContext, delivery_id: int) -> bool:
    """Posts one delivery; answers True when the endpoint took it. Raises RetryLater with the
    wait before the next try."""
    claimed = ctx.webhooks.deliveries.claim(delivery_id, ctx.clock.now(), ctx.lease, ctx.owner)
    if claimed is None:
        log.info("delivery not claimed: done, or held by a live worker", delivery=delivery_id)
        return False
    attempt = _post(ctx, claimed)
    if attempt.succeeded:
        ctx.webhooks.deliveries.delivered(claimed, ctx.clock.now(), attempt)
        log.info("webhook delivered", **_about(claimed), status=attempt.status_code)
        return True
    _failed(ctx, claimed, attempt)
    return False


def _post(ctx: DeliveryContext, claimed: ClaimedDelivery) -> Attempt:
    secret = ctx.webhooks.secrets.open(
        claimed.secret_enc, secret_context(claimed.endpoint_public_id)
    )
    body = claimed.body.encode()
    sent_at = int(ctx.clock.now().timestamp())
    headers = delivery_headers(secret, sent_at, claimed.event_id, claimed.kind, body)
    return ctx.webhooks.sender.send(claimed.url, body, headers)


def _failed(ctx: DeliveryContext, claimed: ClaimedDelivery, attempt: Attempt) -> None:
    policy, now = ctx.webhooks.policy, ctx.clock.now()
    retry_at = next_attempt(policy, claimed.retry_from, now)
    about = {**_about(claimed), "why": attempt.reason}
    if attempt.detail:
        about["detail"] = attempt.detail  # where the host led, say: for the operator only
    if should_disable(claimed.failing_since, now, policy):
        assert claimed.failing_since is not None
        reason = disabled_reason(claimed.failing_since, attempt)
        if ctx.webhooks.deliveries.failed(claimed, now, attempt, None, disable=reason):
            # The owner reads it in user.getWebhooks and `flipshelf webhooks list`.
            log.warning("webhook endpoint disabled", **about, reason=reason)
        return
    if not ctx.webhooks.deliveries.failed(claimed, now, attempt, retry_at):
        return  # taken over meanwhile: the other worker's outcome stands
    if retry_at is None:
        log.warning("webhook delivery given up", **about)
        return
    delay = (retry_at - now).total_seconds()
    log.info("webhook delivery will be retried", **about, delay=round(delay, 1))
    raise RetryLater(delay)


def _about(claimed: ClaimedDelivery) -> dict[str, object]:
    """What a log line says of a delivery: ids, never the URL (it may hold a token)."""
    return {
        "delivery": claimed.delivery_id,
        "webhook": claimed.endpoint_public_id,
        "event_id": claimed.event_id,
        "kind": claimed.kind,
        "attempt": claimed.attempts,
    }
