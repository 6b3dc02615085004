"""The rules of reader events, without I/O: what a body must hold and what an event counts."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flipshelf.domain import events
from flipshelf.domain.collections import Collection, CollectionStatus, ConvertStatus, Flipbook
from flipshelf.domain.events import (
    CLICKS_PER_SESSION,
    MAX_BODY_BYTES,
    PAGE_SECONDS_CAP,
    EventKind,
    InvalidEvent,
    ReaderEvent,
    SessionKey,
    Tally,
    UnknownTarget,
    check_target,
    parse_event,
    session_key,
    tally,
)

COLLECTION = "k3v9q2m8xz"
BOOK = "p" * 32
SESSION = "s3ss10n-abc_DEF"
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def body(**fields: Any) -> bytes:
    values: dict[str, Any] = {"collection": COLLECTION, "session": SESSION}
    values.update(fields)
    return json.dumps({k: v for k, v in values.items() if v is not ...}).encode()


def refused(raw: bytes) -> str:
    with pytest.raises(InvalidEvent) as caught:
        parse_event(raw)
    return str(caught.value)


def test_every_kind_parses_with_its_fields() -> None:
    assert parse_event(body(type="impression")) == ReaderEvent(
        COLLECTION, SESSION, EventKind.IMPRESSION
    )
    assert parse_event(body(type="view", flipbook=BOOK)).flipbook_hash == BOOK
    assert parse_event(body(type="impression", flipbook=None)).flipbook_hash is None
    page = parse_event(body(type="page", flipbook=BOOK, page=3, seconds=12.64))
    assert (page.kind, page.page, page.tenths) == (EventKind.PAGE, 3, 126)
    assert parse_event(body(type="page", flipbook=BOOK, page=1, seconds=0)).tenths == 0
    click = parse_event(body(type="click", flipbook=BOOK, page=2))
    assert (click.kind, click.page, click.tenths) == (EventKind.CLICK, 2, 0)
    assert parse_event(body(type="download", flipbook=BOOK)).kind is EventKind.DOWNLOAD


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", "not JSON"),
        (b"{", "not JSON"),
        (b"\xff\xfe{}", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (b'"impression"', "not a JSON object"),
        (b"[" * 1500 + b"]" * 1500, "too large"),
        (b"[" * 1000 + b"]" * 1000, "not"),  # deep nesting is refused, never a crash
        (b"x" * (MAX_BODY_BYTES + 1), "too large"),
        (body(), "missing type"),
        (body(type="impression", collection=...), "missing collection"),
        (body(type="impression", session=...), "missing session"),
        (body(type="scroll"), "unknown event type"),
        (body(type=7), "type must be a string"),
        (body(type="impression", collection="K3V9Q2M8XZ"), "malformed collection"),
        (body(type="impression", collection="short"), "malformed collection"),
        (body(type="impression", collection=12), "collection must be a string"),
        (body(type="impression", session="short"), "session must be"),
        (body(type="impression", session="x" * 65), "session must be"),
        (body(type="impression", session="has space!"), "session must be"),
        (body(type="impression", session=None), "session must be a string"),
        (body(type="view", flipbook="nope"), "malformed flipbook"),
        (body(type="page", page=1, seconds=1), "missing flipbook"),
        (body(type="page", flipbook=BOOK, seconds=1), "missing page"),
        (body(type="page", flipbook=BOOK, page=1), "missing seconds"),
        (body(type="click", flipbook=BOOK), "missing page"),
        (body(type="download"), "missing flipbook"),
        (body(type="download", flipbook=None), "missing flipbook"),
        (body(type="click", flipbook=BOOK, page=None), "missing page"),
        (body(type="page", flipbook=BOOK, page=0, seconds=1), "page must be"),
        (body(type="page", flipbook=BOOK, page=-2, seconds=1), "page must be"),
        (body(type="page", flipbook=BOOK, page=1.5, seconds=1), "page must be"),
        (body(type="page", flipbook=BOOK, page="3", seconds=1), "page must be"),
        (body(type="page", flipbook=BOOK, page=True, seconds=1), "page must be"),
        (body(type="page", flipbook=BOOK, page=1, seconds=-1), "seconds must be from"),
        (body(type="page", flipbook=BOOK, page=1, seconds=3600.5), "seconds must be from"),
        (body(type="page", flipbook=BOOK, page=1, seconds="5"), "seconds must be a number"),
        (body(type="page", flipbook=BOOK, page=1, seconds=False), "seconds must be a number"),
        (
            b'{"type":"page","collection":"k3v9q2m8xz","session":"s3ss10n-abc","flipbook":"'
            + BOOK.encode()
            + b'","page":1,"seconds":NaN}',
            "not a number",
        ),
        (
            b'{"type":"page","collection":"k3v9q2m8xz","session":"s3ss10n-abc","flipbook":"'
            + BOOK.encode()
            + b'","page":1,"seconds":Infinity}',
            "not a number",
        ),
        (body(type="impression", page=1), "unexpected page for impression"),
        (body(type="view", seconds=3), "unexpected seconds for view"),
        (body(type="click", flipbook=BOOK, page=1, seconds=3), "unexpected seconds for click"),
        (body(type="download", flipbook=BOOK, page=1), "unexpected page for download"),
        (body(type="impression", referrer="x"), "unexpected referrer"),
        (
            b'{"type":"view","type":"impression","collection":"k3v9q2m8xz","session":"s3ss10n-abc"}',
            "given twice",
        ),
    ],
)
def test_malformed_events_are_refused_with_a_reason(raw: bytes, reason: str) -> None:
    assert reason in refused(raw)


def test_seconds_at_the_bounds_are_accepted_in_tenths() -> None:
    for seconds, tenths in ((0, 0), (0.04, 0), (0.06, 1), (3600, 36000), (3599.99, 36000)):
        event = parse_event(body(type="page", flipbook=BOOK, page=1, seconds=seconds))
        assert event.tenths == tenths, seconds


@given(st.binary(max_size=MAX_BODY_BYTES + 16))
def test_any_body_parses_or_is_refused_never_crashes(raw: bytes) -> None:
    with contextlib.suppress(InvalidEvent):
        parse_event(raw)


@given(
    st.dictionaries(
        st.sampled_from(["collection", "session", "type", "flipbook", "page", "seconds", "x"]),
        st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=40)),
    )
)
def test_any_json_object_parses_or_is_refused(fields: dict[str, Any]) -> None:
    try:
        event = parse_event(json.dumps(fields).encode())
    except InvalidEvent:
        return
    assert event.kind.value == fields["type"]  # only a well-formed event gets through


def _collection(*page_counts: int | None) -> Collection:
    items = tuple(
        Flipbook(
            id=n,
            hash=str(n) * 32,
            collection_id=1,
            position=n,
            title="",
            extension="pdf",
            convert_status=ConvertStatus.COMPLETE,
            convert_error=None,
            page_count=count,
            pages_ready=count or 0,
            created_at=NOW,
        )
        for n, count in enumerate(page_counts, start=1)
    )
    return Collection(
        1,
        COLLECTION,
        1,
        "",
        "",
        CollectionStatus.PUBLISHED,
        650,
        385,
        None,
        None,
        1,
        NOW,
        NOW,
        items=items,
    )


def test_the_flipbook_must_be_the_collections_and_the_page_one_of_its() -> None:
    collection = _collection(12, None)
    check_target(ReaderEvent(COLLECTION, SESSION, EventKind.IMPRESSION), collection)
    check_target(ReaderEvent(COLLECTION, SESSION, EventKind.PAGE, "1" * 32, 12), collection)
    with pytest.raises(InvalidEvent, match="beyond"):
        check_target(ReaderEvent(COLLECTION, SESSION, EventKind.PAGE, "1" * 32, 13), collection)
    with pytest.raises(InvalidEvent, match="beyond"):  # no page known yet: none to read
        check_target(ReaderEvent(COLLECTION, SESSION, EventKind.CLICK, "2" * 32, 1), collection)
    with pytest.raises(UnknownTarget):
        check_target(ReaderEvent(COLLECTION, SESSION, EventKind.VIEW, "9" * 32), collection)


def test_session_keys_say_what_counts_once() -> None:
    page = ReaderEvent(COLLECTION, SESSION, EventKind.PAGE, BOOK, 4, 10)
    assert session_key(page) == SessionKey(EventKind.PAGE, BOOK, 4)
    download = ReaderEvent(COLLECTION, SESSION, EventKind.DOWNLOAD, BOOK)
    assert session_key(download) == SessionKey(EventKind.DOWNLOAD, BOOK)
    for kind in (EventKind.IMPRESSION, EventKind.VIEW, EventKind.CLICK):
        assert session_key(ReaderEvent(COLLECTION, SESSION, kind, BOOK, 2)) == SessionKey(kind)


@pytest.mark.parametrize(
    ("kind", "counter"),
    [
        (EventKind.IMPRESSION, "impressions"),
        (EventKind.VIEW, "views"),
        (EventKind.DOWNLOAD, "downloads"),
    ],
)
def test_collection_events_count_the_first_time_only(kind: EventKind, counter: str) -> None:
    event = ReaderEvent(COLLECTION, SESSION, kind, BOOK)
    assert tally(event, None) == Tally(1, {counter: 1})
    assert not tally(event, 1).counts


def page_event(tenths: int) -> ReaderEvent:
    return ReaderEvent(COLLECTION, SESSION, EventKind.PAGE, BOOK, 3, tenths)


def test_a_page_counts_one_view_and_accumulates_capped_time() -> None:
    assert tally(page_event(400), None) == Tally(
        400, {"time_spent": 40}, 3, {"views": 1, "time_spent": 40}
    )
    assert tally(page_event(250), 400) == Tally(650, {"time_spent": 25}, 3, {"time_spent": 25})
    near_cap = tally(page_event(30000), 30000)
    assert near_cap.amount == PAGE_SECONDS_CAP * 10
    assert near_cap.collection == {"time_spent": PAGE_SECONDS_CAP - 3000}
    full = tally(page_event(30000), PAGE_SECONDS_CAP * 10)
    assert not full.counts and full.amount == PAGE_SECONDS_CAP * 10
    assert tally(page_event(0), None) == Tally(0, {}, 3, {"views": 1})


def test_short_looks_at_a_page_add_up_to_whole_seconds() -> None:
    amount: int | None = None
    counted = 0
    for _ in range(7):  # seven looks of 0.4 s: 2.8 s, two whole seconds
        added = tally(page_event(4), amount)
        amount, counted = added.amount, counted + added.collection.get("time_spent", 0)
    assert (amount, counted) == (28, 2)


def test_clicks_count_each_until_the_session_allowance() -> None:
    click = ReaderEvent(COLLECTION, SESSION, EventKind.CLICK, BOOK, 5)
    assert tally(click, None) == Tally(1, {}, 5, {"clicks": 1})
    assert tally(click, 7) == Tally(8, {}, 5, {"clicks": 1})
    assert not tally(click, CLICKS_PER_SESSION).counts
    assert events.CLICKS_PER_SESSION == CLICKS_PER_SESSION
