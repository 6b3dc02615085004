"""Webhook endpoints and deliveries as the API (and `flipshelf webhooks --json`) show them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flipshelf.domain.webhooks import Delivery, Endpoint, shown_events, timestamp


def _moment(value: datetime | None) -> str | None:
    return None if value is None else timestamp(value)


def endpoint_view(endpoint: Endpoint) -> dict[str, Any]:
    return {
        "webhookId": endpoint.public_id,
        "url": endpoint.url,
        "events": shown_events(endpoint.events),
        "status": "enabled" if endpoint.enabled else "disabled",
        "disabledReason": endpoint.disabled_reason,
        "disabledAt": _moment(endpoint.disabled_at),
        "failingSince": _moment(endpoint.failing_since),
        "lastSuccessAt": _moment(endpoint.last_success_at),
        "createdAt": _moment(endpoint.created_at),
    }


def delivery_view(delivery: Delivery) -> dict[str, Any]:
    return {
        "eventId": delivery.event_id,
        "event": delivery.kind,
        "status": delivery.status.value,
        "attempts": delivery.attempts,
        "lastResponseCode": delivery.last_status_code,
        "lastError": delivery.last_error,
        "createdAt": _moment(delivery.created_at),
        "lastAttemptAt": _moment(delivery.last_attempt_at),
        "nextAttemptAt": _moment(delivery.next_attempt_at),
        "deliveredAt": _moment(delivery.delivered_at),
    }
