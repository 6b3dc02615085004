"""The pure rules of webhooks (domain/webhooks.py): the retry schedule, signatures the client's
`verify_webhook` accepts, event subscriptions, when an endpoint is disabled, the event body."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta

import pytest

from flipshelf.domain.errors import BadRequest
from flipshelf.domain.webhooks import (
    Attempt,
    EventKind,
    RetryPolicy,
    delivery_headers,
    disabled_reason,
    event_body,
    format_events,
    is_endpoint_id,
    is_event_id,
    new_endpoint_id,
    new_event_id,
    next_attempt,
    parse_events,
    should_disable,
    shown_events,
    signature,
    stored_events,
    subscribes,
)
from flipshelf_client import WebhookSignatureError, verify_webhook

START = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
POLICY = RetryPolicy(
    first_delay=timedelta(seconds=10),
    window=timedelta(days=1),
    disable_after=timedelta(days=3),
)


def schedule(policy: RetryPolicy) -> list[float]:
    """The seconds after the first try at which every later try falls, when each fails."""
    tries, now = [], START
    while (due := next_attempt(policy, START, now)) is not None:
        tries.append((due - START).total_seconds())
        now = due
    return tries


def test_waits_double_from_the_first_delay_up_to_an_hour_for_a_day() -> None:
    tries = schedule(POLICY)
    assert tries[:10] == [10, 20, 40, 80, 160, 320, 640, 1280, 2560, 5120]
    gaps = [b - a for a, b in itertools.pairwise(tries)]
    assert max(gaps) == 3600  # never more than an hour between two tries
    growing = gaps[:-1]  # the last gap is cut short by the end of the window
    assert all(b >= a for a, b in itertools.pairwise(growing))
    assert tries[-1] == 86_400  # a last try at the very end of the day, then none
    assert len(tries) == 33  # after the first: 34 tries in all


def test_a_try_at_or_after_the_end_of_the_window_is_the_last() -> None:
    end = START + POLICY.window
    assert next_attempt(POLICY, START, end) is None
    assert next_attempt(POLICY, START, end + timedelta(hours=5)) is None
    assert next_attempt(POLICY, START, end - timedelta(seconds=1)) == end


def test_the_schedule_counts_from_the_first_try_not_from_the_attempts() -> None:
    """A worker killed mid-try, or a redelivery, does not stretch the waits."""
    late = START + timedelta(minutes=30)
    assert next_attempt(POLICY, START, late) == late + timedelta(minutes=30)
    redelivered = START + timedelta(days=2)
    assert next_attempt(POLICY, redelivered, redelivered) == redelivered + timedelta(seconds=10)


def test_only_2xx_answers_are_deliveries() -> None:
    assert [Attempt(code).succeeded for code in (200, 201, 204, 299)] == [True] * 4
    assert [Attempt(code).succeeded for code in (199, 300, 302, 400, 410, 500)] == [False] * 6
    assert not Attempt(None, "could not connect").succeeded
    assert Attempt(503).reason == "HTTP 503"
    assert Attempt(None, "no answer in time", detail="10.0.0.5").reason == "no answer in time"


def test_an_endpoint_is_disabled_only_after_failing_for_the_whole_period() -> None:
    assert not should_disable(None, START, POLICY)  # its first failure
    assert not should_disable(START, START + timedelta(days=3, seconds=-1), POLICY)
    assert should_disable(START, START + timedelta(days=3), POLICY)
    reason = disabled_reason(START, Attempt(500))
    assert reason == "no successful delivery since 2026-11-23T12:00:00Z; last error: HTTP 500"
    assert len(disabled_reason(START, Attempt(None, "x" * 1000))) == 255


def test_a_signature_verifies_with_the_client_helper() -> None:
    secret, body = "whsec_test", b'{"id":"evt_1"}'
    sent_at = int(START.timestamp())
    header = signature(secret, sent_at, body)
    verify_webhook(body, header, secret, now=sent_at + 299)
    with pytest.raises(WebhookSignatureError):
        verify_webhook(body + b" ", header, secret, now=sent_at)
    with pytest.raises(WebhookSignatureError):
        verify_webhook(body, header, "whsec_other", now=sent_at)
    with pytest.raises(WebhookSignatureError, match="tolerance"):  # a replay, later
        verify_webhook(body, header, secret, now=sent_at + 301)


def test_the_documented_vector_of_the_client() -> None:
    body = b'{"id":"evt_1","event":"flipbook.converted","time":1767225600}'
    assert signature("whsec_0123456789abcdef", 1767225600, body) == (
        "t=1767225600,v1=f8ee7288a6027d95b879fc1ec0c7fd4c264e2ce1d3c284d84bf351e2835603df"
    )


def test_delivery_headers_name_the_event() -> None:
    headers = delivery_headers("s", 1, "evt_x", "flipbook.converted", b"{}")
    assert headers["Content-Type"] == "application/json"
    assert headers["Flipshelf-Event-Id"] == "evt_x"
    assert headers["Flipshelf-Event"] == "flipbook.converted"
    assert headers["Flipshelf-Signature"] == signature("s", 1, b"{}")


@pytest.mark.parametrize("given", [None, "", " ", "*", " * ", ",,"])
def test_empty_or_star_subscribes_to_every_event(given: str | None) -> None:
    events = parse_events(given)
    assert events == frozenset()
    assert all(subscribes(events, kind) for kind in EventKind)
    assert shown_events(events) == ["*"] and format_events(events) == ""


def test_named_events_subscribe_to_those_only() -> None:
    events = parse_events(" flipbook.failed,collection.deleted , flipbook.failed")
    assert events == {EventKind.FLIPBOOK_FAILED, EventKind.COLLECTION_DELETED}
    assert subscribes(events, EventKind.FLIPBOOK_FAILED)
    assert not subscribes(events, EventKind.FLIPBOOK_CONVERTED)
    stored = format_events(events)
    assert stored == "collection.deleted,flipbook.failed"
    assert stored_events(stored) == events
    assert shown_events(events) == ["collection.deleted", "flipbook.failed"]


@pytest.mark.parametrize(
    "given", ["flipbook.done", "Flipbook.Converted", "*,flipbook.failed", "flipbook.*"]
)
def test_an_unknown_event_name_is_refused(given: str) -> None:
    with pytest.raises(BadRequest):
        parse_events(given)


def test_ids_are_random_and_checked_for_shape() -> None:
    endpoint, event = new_endpoint_id(), new_event_id()
    assert is_endpoint_id(endpoint) and is_event_id(event)
    assert not is_endpoint_id(event) and not is_event_id(endpoint)
    assert new_endpoint_id() != endpoint
    for bad in ("", "wh_", "wh_" + "A" * 24, endpoint + "x", " " + endpoint, "wh_../../x"):
        assert not is_endpoint_id(bad)


def test_the_event_body_holds_the_id_the_event_the_time_and_the_collection() -> None:
    data = {"collectionHash": "k3v9q2m8xz", "collectionTitle": "Café \u2028"}
    body = event_body("evt_1", EventKind.PACKAGE_READY, START, data)
    assert json.loads(body) == {
        "id": "evt_1",
        "event": "collection.package_ready",
        "createdAt": "2026-11-23T12:00:00Z",
        "data": data,
    }
    assert body.isascii()  # the bytes a receiver verifies are the same in every encoding
    converted = json.loads(
        event_body("evt_2", EventKind.FLIPBOOK_CONVERTED, START, data, {"flipbookHash": "f" * 32})
    )
    assert converted["flipbookHash"] == "f" * 32
