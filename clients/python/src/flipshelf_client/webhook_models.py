"""What the webhook actions answer (docs/webhooks.md): endpoints and their delivery log.

Event names stay strings, so an endpoint subscribed to an event a newer server added still
reads; `WebhookEvent` names the ones this client knows, for passing to `set_webhook`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from flipshelf_client.errors import ProtocolError
from flipshelf_client.models import _enum, _int, _object, _optional_int, _required

ALL_EVENTS = "*"


class WebhookEvent(StrEnum):
    FLIPBOOK_CONVERTED = "flipbook.converted"
    FLIPBOOK_FAILED = "flipbook.failed"
    PACKAGE_READY = "collection.package_ready"
    PACKAGE_FAILED = "collection.package_failed"
    COLLECTION_DELETED = "collection.deleted"


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # to be tried; `next_attempt_at` says when
    DELIVERED = "delivered"  # the endpoint answered 2xx
    FAILED = "failed"  # given up


def _moment(wire: Mapping[str, Any], name: str) -> datetime | None:
    """An ISO 8601 UTC time (`2026-11-23T12:00:07Z`) as an aware datetime, or None."""
    value = wire.get(name)
    if value is None or value == "":
        return None
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        raise ProtocolError(f"{name!r} is not an ISO 8601 time: {value!r}") from None


@dataclass(frozen=True)
class WebhookEndpoint:
    """An endpoint. `events` is `("*",)` for all events, those added later included. `secret`
    is set only in the answer of the `set_webhook` that made it: the server never shows it
    again, so keep it then."""

    webhook_id: str
    url: str
    events: tuple[str, ...]
    enabled: bool
    disabled_reason: str | None
    disabled_at: datetime | None
    failing_since: datetime | None
    last_success_at: datetime | None
    created_at: datetime | None
    secret: str | None = field(default=None, repr=False)
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False, hash=False)

    @classmethod
    def from_wire(cls, data: object) -> WebhookEndpoint:
        wire = _object(data, "a webhook endpoint")
        events = wire.get("events") or [ALL_EVENTS]
        if not isinstance(events, list):
            raise ProtocolError("'events' is not a list")
        secret = wire.get("secret")
        return cls(
            webhook_id=str(_required(wire, "webhookId")),
            url=str(_required(wire, "url")),
            events=tuple(str(event) for event in events),
            enabled=str(wire.get("status") or "enabled") == "enabled",
            disabled_reason=wire.get("disabledReason"),
            disabled_at=_moment(wire, "disabledAt"),
            failing_since=_moment(wire, "failingSince"),
            last_success_at=_moment(wire, "lastSuccessAt"),
            created_at=_moment(wire, "createdAt"),
            secret=None if secret is None else str(secret),
            raw=wire,
        )


def webhook_list(data: object) -> tuple[WebhookEndpoint, ...]:
    """user.getWebhooks' `{"webhooks": [...]}` as a tuple."""
    found = _object(data, "a webhook list").get("webhooks") or ()
    if not isinstance(found, list | tuple):
        raise ProtocolError("'webhooks' is not a list")
    return tuple(WebhookEndpoint.from_wire(endpoint) for endpoint in found)


@dataclass(frozen=True)
class WebhookDelivery:
    """One event's delivery to one endpoint. `last_error` is `HTTP <code>` or why no answer
    came; `last_response_code` the endpoint's last HTTP status."""

    event_id: str
    event: str
    status: DeliveryStatus
    attempts: int
    last_response_code: int | None
    last_error: str | None
    created_at: datetime | None
    last_attempt_at: datetime | None
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False, hash=False)

    @classmethod
    def from_wire(cls, data: object) -> WebhookDelivery:
        wire = _object(data, "a delivery")
        return cls(
            event_id=str(_required(wire, "eventId")),
            event=str(_required(wire, "event")),
            status=_enum(DeliveryStatus, _required(wire, "status")),
            attempts=_int(wire.get("attempts", 0), "attempts"),
            last_response_code=_optional_int(wire.get("lastResponseCode"), "lastResponseCode"),
            last_error=wire.get("lastError"),
            created_at=_moment(wire, "createdAt"),
            last_attempt_at=_moment(wire, "lastAttemptAt"),
            next_attempt_at=_moment(wire, "nextAttemptAt"),
            delivered_at=_moment(wire, "deliveredAt"),
            raw=wire,
        )


@dataclass(frozen=True)
class WebhookDeliveryList:
    """`delivery_count` counts every delivery of the endpoint; `deliveries` is the requested
    window, newest first."""

    delivery_count: int
    deliveries: tuple[WebhookDelivery, ...]

    @classmethod
    def from_wire(cls, data: object) -> WebhookDeliveryList:
        wire = _object(data, "a delivery list")
        items = wire.get("deliveryItems") or ()
        return cls(
            delivery_count=_int(_required(wire, "deliveryCount"), "deliveryCount"),
            deliveries=tuple(WebhookDelivery.from_wire(item) for item in items),
        )
