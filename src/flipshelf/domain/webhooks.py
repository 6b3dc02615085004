"""Webhooks (docs/webhooks.md): the events, who subscribes to what, how a delivery is signed, when
it is tried again, and when an endpoint that keeps failing is disabled. Pure rules, no I/O.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from flipshelf.domain.errors import BadRequest

SIGNATURE_HEADER = "Flipshelf-Signature"
EVENT_ID_HEADER = "Flipshelf-Event-Id"
EVENT_HEADER = "Flipshelf-Event"

MAX_ENDPOINTS = 10  # per account
MAX_URL_LENGTH = 2048
# The longest wait between two tries of one delivery.
LONGEST_DELAY = timedelta(hours=1)
# Finished deliveries (and events no delivery needs any more) are kept this long for the log.
KEEP_DELIVERIES = timedelta(days=30)
MAX_REASON = 255

_ID_ALPHABET = string.ascii_lowercase + string.digits
_ID_LENGTH = 24
_ENDPOINT_ID = re.compile(rf"wh_[a-z0-9]{{{_ID_LENGTH}}}")
_EVENT_ID = re.compile(rf"evt_[a-z0-9]{{{_ID_LENGTH}}}")
ALL = "*"


class EventKind(StrEnum):
    FLIPBOOK_CONVERTED = "flipbook.converted"
    FLIPBOOK_FAILED = "flipbook.failed"
    PACKAGE_READY = "collection.package_ready"
    PACKAGE_FAILED = "collection.package_failed"
    COLLECTION_DELETED = "collection.deleted"


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # to be tried (now, or at its next attempt)
    DELIVERED = "delivered"  # the endpoint answered 2xx
    FAILED = "failed"  # given up: the retry window passed, or the endpoint was disabled


@dataclass(frozen=True)
class Endpoint:
    """A registered URL and what it subscribes to (its sealed secret stays in the database)."""

    id: int
    public_id: str
    account_id: int
    url: str
    events: frozenset[EventKind]
    created_at: datetime
    failing_since: datetime | None
    last_success_at: datetime | None
    disabled_at: datetime | None
    disabled_reason: str | None

    @property
    def enabled(self) -> bool:
        return self.disabled_at is None


@dataclass(frozen=True)
class Delivery:
    """One event's delivery to one endpoint, as its log shows it."""

    event_id: str
    kind: str
    status: DeliveryStatus
    attempts: int
    created_at: datetime
    last_attempt_at: datetime | None
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    delivered_at: datetime | None


@dataclass(frozen=True)
class ClaimedDelivery:
    """A delivery a worker holds a lease on; `attempts` is the lease's token."""

    delivery_id: int
    attempts: int
    endpoint_id: int
    endpoint_public_id: str
    url: str
    secret_enc: bytes
    event_id: str
    kind: str
    body: str
    retry_from: datetime
    failing_since: datetime | None


def _random_id(prefix: str) -> str:
    return prefix + "".join(secrets.choice(_ID_ALPHABET) for _ in range(_ID_LENGTH))


def new_endpoint_id() -> str:
    return _random_id("wh_")


def new_event_id() -> str:
    return _random_id("evt_")


def new_signing_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def is_endpoint_id(value: str) -> bool:
    return _ENDPOINT_ID.fullmatch(value) is not None


def is_event_id(value: str) -> bool:
    return _EVENT_ID.fullmatch(value) is not None


def parse_events(value: str | None) -> frozenset[EventKind]:
    """`events` of user.setWebhook: comma-separated names; empty (or `*`) subscribes to all,
    which is stored as the empty set so that events added later reach such endpoints too."""
    names = [name.strip() for name in (value or "").split(",")]
    names = [name for name in names if name]
    if not names or names == [ALL]:
        return frozenset()
    try:
        return frozenset(EventKind(name) for name in names)
    except ValueError:
        raise BadRequest(f"events must be {ALL} or among {', '.join(EventKind)}") from None


def format_events(events: Iterable[EventKind]) -> str:
    """The stored form of a subscription: names in a fixed order, empty for all."""
    return ",".join(sorted(events))


def stored_events(value: str) -> frozenset[EventKind]:
    return frozenset(EventKind(name) for name in value.split(",") if name)


def shown_events(events: frozenset[EventKind]) -> list[str]:
    return sorted(events) if events else [ALL]


def subscribes(events: frozenset[EventKind], kind: EventKind) -> bool:
    return not events or kind in events


def check_url_length(url: str) -> str:
    if len(url) > MAX_URL_LENGTH:
        raise BadRequest(f"url longer than {MAX_URL_LENGTH} characters")
    return url


def check_room(endpoint_count: int) -> None:
    if endpoint_count >= MAX_ENDPOINTS:
        raise BadRequest(f"an account has at most {MAX_ENDPOINTS} webhook endpoints")


def timestamp(moment: datetime) -> str:
    """Times in payloads and answers: ISO 8601 in UTC, to the second."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def event_body(
    event_id: str,
    kind: EventKind,
    created_at: datetime,
    data: Mapping[str, Any],
    about: Mapping[str, str] | None = None,
) -> str:
    """The JSON a delivery posts, made once per event: every try and every endpoint sends
    these same bytes. `about` adds what the collection alone does not say: which flipbook
    (`flipbookHash`), why a package failed (`packageError`)."""
    body: dict[str, Any] = {"id": event_id, "event": kind.value, "createdAt": timestamp(created_at)}
    body.update(about or {})
    body["data"] = dict(data)
    return json.dumps(body, separators=(",", ":"))


def signature(secret: str, sent_at: int, body: bytes) -> str:
    """The `Flipshelf-Signature` value: HMAC-SHA256 keyed with the endpoint's secret over
    `"{t}." + body`, the scheme Stripe-style receivers verify."""
    digest = hmac.new(secret.encode(), f"{sent_at}.".encode() + body, hashlib.sha256)
    return f"t={sent_at},v1={digest.hexdigest()}"


def delivery_headers(
    secret: str, sent_at: int, event_id: str, kind: str, body: bytes
) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: signature(secret, sent_at, body),
        EVENT_ID_HEADER: event_id,
        EVENT_HEADER: kind,
    }


@dataclass(frozen=True)
class Attempt:
    """What one POST came to: the response's status, or why there was none."""

    status_code: int | None
    error: str | None = None  # shown to the endpoint's owner
    detail: str | None = None  # for the server log only (where a host name led, say)

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    @property
    def reason(self) -> str:
        if self.error:
            return self.error[:MAX_REASON]
        return f"HTTP {self.status_code}"


@dataclass(frozen=True)
class RetryPolicy:
    """When deliveries are tried again and endpoints given up on (settings `webhook_*`)."""

    first_delay: timedelta
    window: timedelta
    disable_after: timedelta
    longest_delay: timedelta = LONGEST_DELAY


def next_attempt(policy: RetryPolicy, started: datetime, now: datetime) -> datetime | None:
    """After a failed try at `now` of a delivery first tried at `started`: when to try again,
    or None once the window has passed (the delivery is given up).

    Each wait is as long as the time since the first try (at least `first_delay`, at most
    `longest_delay`), so the tries fall at 0, d, 2d, 4d, 8d... and the last one at the end of
    the window. Counting from the start rather than from `attempts` keeps the schedule right
    after a worker died mid-try or the owner asked for a redelivery.
    """
    end = started + policy.window
    if now >= end:
        return None
    delay = min(max(now - started, policy.first_delay), policy.longest_delay)
    return min(now + delay, end)


def should_disable(failing_since: datetime | None, now: datetime, policy: RetryPolicy) -> bool:
    """An endpoint that has not answered one delivery with 2xx since `failing_since` (its first
    failure after its last success) is disabled at a failure `disable_after` later."""
    return failing_since is not None and now - failing_since >= policy.disable_after


def disabled_reason(failing_since: datetime, last: Attempt) -> str:
    reason = f"no successful delivery since {timestamp(failing_since)}; last error: {last.reason}"
    return reason[:MAX_REASON]
