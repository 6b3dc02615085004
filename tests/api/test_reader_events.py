"""`POST /events` through HTTP, on every configured database: what is refused (storing nothing),
what counts once per reading session, rate limits, private links and concurrency."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs

import pytest
from sqlalchemy import func, select
from starlette.applications import Starlette
from starlette.routing import Route
from starlette.testclient import TestClient

from flipshelf.db.schema import page_stats_days, reader_sessions, stats_days
from flipshelf.domain import events as event_rules
from flipshelf.domain.access import ReaderLink
from flipshelf.domain.collections import Collection, CollectionChanges, CollectionStatus
from flipshelf.domain.events import MAX_BODY_BYTES, parse_event
from flipshelf.domain.stats import DateRange, Totals
from flipshelf.runtime import Runtime
from flipshelf.services.events import record_event
from flipshelf.web.events import EventLimits, EventThrottle, events_endpoint
from tests.support import FixedClock, Tenant, seed_collection

SESSION = "reader-0001"


def event(collection: Collection, kind: str, session: str = SESSION, **fields: Any) -> str:
    values: dict[str, Any] = {"collection": collection.hash, "session": session, "type": kind}
    if kind in ("page", "click", "download"):
        values["flipbook"] = collection.items[0].hash
    values.update(fields)
    return json.dumps(values)


def post(
    client: TestClient,
    body: str | bytes,
    content_type: str = "text/plain;charset=UTF-8",
    query: str = "",
) -> tuple[int, str]:
    response = client.post(
        f"/events{'?' + query if query else ''}",
        content=body,
        headers={"Content-Type": content_type},
    )
    return response.status_code, response.text


def totals(runtime: Runtime, collection: Collection, pages: bool = True) -> Totals:
    return runtime.ports.stats.totals([collection.id], DateRange(None, None), pages)


def stored_rows(runtime: Runtime) -> int:
    with runtime.db.read() as conn:
        return sum(
            conn.execute(select(func.count()).select_from(table)).scalar_one()
            for table in (reader_sessions, stats_days, page_stats_days)
        )


@pytest.fixture
def book(runtime: Runtime, tenant: Tenant) -> Collection:
    """A published collection of one 12-page flipbook."""
    return seed_collection(runtime, tenant)


# --- what counts -----------------------------------------------------------------------------


def test_impressions_and_views_count_once_per_session(
    client: TestClient, runtime: Runtime, book: Collection
) -> None:
    for _ in range(3):
        assert post(client, event(book, "impression")) == (204, "")
        assert post(client, event(book, "view"), "application/json") == (204, "")
    assert post(client, event(book, "impression", session="reader-0002")) == (204, "")
    found = totals(runtime, book)
    assert (found.impressions, found.views, found.time_spent, found.downloads) == (2, 1, 0, 0)


def test_a_session_counts_in_each_collection_it_reads(
    client: TestClient, runtime: Runtime, tenant: Tenant, book: Collection
) -> None:
    other = seed_collection(runtime, tenant)
    post(client, event(book, "impression"))
    post(client, event(other, "impression"))
    assert totals(runtime, book).impressions == 1
    assert totals(runtime, other).impressions == 1


def test_a_page_views_once_per_session_and_its_time_accumulates_up_to_a_cap(
    client: TestClient, runtime: Runtime, book: Collection
) -> None:
    assert post(client, event(book, "page", page=1, seconds=0))[0] == 204
    assert post(client, event(book, "page", page=1, seconds=30.4))[0] == 204
    assert post(client, event(book, "page", page=2, seconds=12))[0] == 204
    assert post(client, event(book, "page", page=2, seconds=3000))[0] == 204
    assert post(client, event(book, "page", page=2, seconds=3000))[0] == 204  # capped at 3600
    assert post(client, event(book, "page", page=1, seconds=5, session="reader-0002"))[0] == 204
    found = totals(runtime, book)
    assert [(p.page, p.views, p.time_spent, p.clicks) for p in found.pages] == [
        (1, 2, 35, 0),
        (2, 1, 3600, 0),
    ]
    assert found.time_spent == 35 + 3600
    assert found.views == 0  # a page view is not the reader's first interaction


def test_the_same_page_number_of_two_flipbooks_is_two_page_views(
    client: TestClient, runtime: Runtime, tenant: Tenant
) -> None:
    shelf = seed_collection(runtime, tenant, items=(_complete(), _complete()))
    for item in shelf.items:
        body = event(shelf, "page", flipbook=item.hash, page=4, seconds=10)
        assert post(client, body)[0] == 204
    (page,) = totals(runtime, shelf).pages
    assert (page.page, page.views, page.time_spent) == (4, 2, 20)


def test_clicks_count_each_until_the_session_allowance(
    client: TestClient, runtime: Runtime, book: Collection, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(event_rules, "CLICKS_PER_SESSION", 3)
    for page in (1, 1, 2, 2, 3):
        assert post(client, event(book, "click", page=page))[0] == 204
    assert post(client, event(book, "click", page=5, session="reader-0002"))[0] == 204
    clicks = {p.page: p.clicks for p in totals(runtime, book).pages}
    assert clicks == {1: 2, 2: 1, 5: 1}


def test_downloads_count_once_per_session_and_flipbook(
    client: TestClient, runtime: Runtime, tenant: Tenant
) -> None:
    shelf = seed_collection(runtime, tenant, items=(_complete(), _complete()))
    for item in (*shelf.items, shelf.items[0]):
        assert post(client, event(shelf, "download", flipbook=item.hash))[0] == 204
    assert post(client, event(shelf, "download", session="reader-0002"))[0] == 204
    assert totals(runtime, shelf).downloads == 3


def test_counters_go_to_the_utc_day_of_the_event(
    client: TestClient, runtime: Runtime, clock: FixedClock, book: Collection
) -> None:
    clock.moment = clock.moment.replace(hour=23, minute=59, second=59)
    post(client, event(book, "impression"))
    post(client, event(book, "page", page=1, seconds=10))
    clock.advance(seconds=2)  # past midnight: same session, same page
    post(client, event(book, "impression"))
    post(client, event(book, "page", page=1, seconds=7))
    with runtime.db.read() as conn:
        rows = conn.execute(
            select(stats_days.c.day, stats_days.c.impressions, stats_days.c.time_spent).order_by(
                stats_days.c.day
            )
        ).all()
    first = clock.moment.date() - timedelta(days=1)
    assert [tuple(r) for r in rows] == [(first, 1, 10), (clock.moment.date(), 0, 7)]


# --- refusals store nothing ------------------------------------------------------------------


def test_every_refusal_answers_a_short_reason_and_stores_nothing(
    client: TestClient, runtime: Runtime, tenant: Tenant, book: Collection
) -> None:
    draft = seed_collection(runtime, tenant, status=CollectionStatus.EDITABLE)
    private = seed_collection(runtime, tenant, status=CollectionStatus.PRIVATE)
    deleted = seed_collection(runtime, tenant)
    runtime.ports.collections.mark_deleted(deleted.id, runtime.ports.clock.now())
    other = seed_collection(runtime, tenant)
    cases: list[tuple[int, str | bytes, str]] = [
        (415, event(book, "impression"), "application/x-www-form-urlencoded"),
        (415, event(book, "impression"), "multipart/form-data; boundary=x"),
        (415, event(book, "impression"), "text/plain; charset=latin-1"),
        (415, event(book, "impression"), ""),
        (413, " " * (MAX_BODY_BYTES + 1), "text/plain"),
        (400, "{not json", "text/plain"),
        (400, "", "application/json"),
        (400, event(book, "scroll"), "text/plain"),
        (400, event(book, "impression", session="x"), "text/plain"),
        (400, event(book, "page", page=13, seconds=1), "text/plain"),  # the book has 12 pages
        (400, event(book, "page", page=1, seconds=3601), "text/plain"),
        (400, event(book, "impression", extra=1), "text/plain"),
        (404, event(book, "impression").replace(book.hash, "0123456789"), "text/plain"),
        (404, event(draft, "impression"), "text/plain"),
        (404, event(private, "impression"), "text/plain"),
        (404, event(deleted, "impression"), "text/plain"),
        (404, event(book, "page", flipbook=other.items[0].hash, page=1, seconds=1), "text/plain"),
    ]
    for status, body, content_type in cases:
        code, reason = post(client, body, content_type)
        assert code == status, (body, content_type, reason)
        assert 0 < len(reason) <= 80, reason
    assert stored_rows(runtime) == 0


def test_a_body_longer_than_declared_limits_is_not_read(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(100):
            yield b" " * 1024

    response = client.post("/events", content=chunks(), headers={"Content-Type": "text/plain"})
    assert response.status_code == 413
    response = client.post(
        "/events",
        content=b"{}",
        headers={"Content-Type": "text/plain", "Content-Length": str(10**9)},
    )
    assert response.status_code == 413


def test_only_post_is_allowed(client: TestClient) -> None:
    assert client.get("/events").status_code == 405


def test_a_private_collection_counts_only_with_its_valid_signed_link(
    client: TestClient, runtime: Runtime, clock: FixedClock, tenant: Tenant
) -> None:
    private = seed_collection(runtime, tenant, status=CollectionStatus.PRIVATE)
    other = seed_collection(runtime, tenant, status=CollectionStatus.PRIVATE)
    links = runtime.ports.collection_links
    good = links.query(private.hash, clock.now() + timedelta(minutes=10))
    exp, sig = parse_qs(good)["exp"][0], parse_qs(good)["sig"][0]
    flipped = sig[:-1] + ("0" if sig[-1] != "0" else "1")
    refused = [
        "",
        f"exp={exp}",
        f"exp={int(exp) + 60}&sig={sig}",  # a longer life than was signed
        f"exp={exp}&sig={flipped}",
        links.query(other.hash, clock.now() + timedelta(minutes=10)),  # another collection's
    ]
    for query in refused:
        assert post(client, event(private, "impression"), query=query)[0] == 404, query
    assert stored_rows(runtime) == 0
    assert post(client, event(private, "impression"), query=good) == (204, "")
    clock.advance(minutes=10)  # the link expired
    assert post(client, event(private, "view"), query=good)[0] == 404
    found = totals(runtime, private)
    assert (found.impressions, found.views) == (1, 0)


def test_an_unlisted_collection_counts_like_a_published_one(
    client: TestClient, runtime: Runtime, tenant: Tenant
) -> None:
    unlisted = seed_collection(runtime, tenant, status=CollectionStatus.UNLISTED)
    assert post(client, event(unlisted, "impression"))[0] == 204
    assert totals(runtime, unlisted).impressions == 1


def test_a_collection_made_a_draft_stops_counting(
    client: TestClient, runtime: Runtime, book: Collection
) -> None:
    assert post(client, event(book, "impression"))[0] == 204
    runtime.ports.collections.update(
        book.id, CollectionChanges(status=CollectionStatus.EDITABLE), runtime.ports.clock.now()
    )
    assert post(client, event(book, "view"))[0] == 404
    assert totals(runtime, book).views == 0


# --- rate limits -----------------------------------------------------------------------------


def _events_app(runtime: Runtime, limits: EventLimits) -> TestClient:
    route = Route("/events", events_endpoint(runtime.ports, limits).handle, methods=["POST"])
    return TestClient(Starlette(routes=[route]))


def test_a_client_over_its_minute_is_refused_and_nothing_is_stored(
    runtime: Runtime, book: Collection
) -> None:
    with _events_app(runtime, EventLimits(per_second=1000, per_minute=4)) as client:
        for page in range(1, 5):
            assert post(client, event(book, "page", page=page, seconds=1))[0] == 204
        code, reason = post(client, event(book, "page", page=5, seconds=1))
        assert (code, reason) == (429, "too many events")
        # Another session of the same address has its own window.
        assert post(client, event(book, "page", page=6, seconds=1, session="reader-0002"))[0] == 204
    assert [p.page for p in totals(runtime, book).pages] == [1, 2, 3, 4, 6]


def test_the_per_second_window_refuses_a_burst() -> None:
    throttle = EventThrottle(EventLimits(per_second=3, per_minute=100))
    hits = [throttle.admit("10.0.0.1", SESSION) for _ in range(5)]
    hits.append(throttle.admit("10.0.0.2", SESSION))  # another address
    hits.append(throttle.admit("10.0.0.1", "reader-0002"))  # another session
    assert hits == [True, True, True, False, False, True, True]


def test_refused_hits_do_not_use_up_the_minute() -> None:
    throttle = EventThrottle(EventLimits(per_second=1, per_minute=2))
    # The second and third are refused by the second's window and never reach the minute's.
    assert [throttle.admit("a", SESSION) for _ in range(3)] == [True, False, False]


# --- concurrency -----------------------------------------------------------------------------


def _at_once(count: int, work: Any) -> None:
    start = threading.Barrier(count)
    errors: list[BaseException] = []

    def run() -> None:
        start.wait()
        try:
            work()
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors


def test_the_same_event_sent_at_once_counts_once(runtime: Runtime, book: Collection) -> None:
    for kind in ("impression", "view", "download"):
        parsed = parse_event(event(book, kind).encode())
        _at_once(12, lambda p=parsed: record_event(runtime.ports, p, ReaderLink()))
    page = parse_event(event(book, "page", page=3, seconds=0).encode())
    _at_once(12, lambda: record_event(runtime.ports, page, ReaderLink()))
    found = totals(runtime, book)
    assert (found.impressions, found.views, found.downloads) == (1, 1, 1)
    assert [(p.page, p.views) for p in found.pages] == [(3, 1)]


def test_time_sent_at_once_adds_up_exactly_to_the_cap(runtime: Runtime, book: Collection) -> None:
    page = parse_event(event(book, "page", page=2, seconds=500).encode())
    _at_once(10, lambda: record_event(runtime.ports, page, ReaderLink()))  # 5,000 s sent
    found = totals(runtime, book)
    assert [(p.page, p.views, p.time_spent) for p in found.pages] == [(2, 1, 3600)]
    assert found.time_spent == 3600


def test_concurrent_posts_through_http_count_once(
    client: TestClient, runtime: Runtime, book: Collection
) -> None:
    codes: list[int] = []
    lock = threading.Lock()

    def send() -> None:
        code = post(client, event(book, "impression"))[0]
        with lock:
            codes.append(code)

    _at_once(8, send)
    assert codes == [204] * 8
    assert totals(runtime, book).impressions == 1


# --- retention -------------------------------------------------------------------------------


def test_old_session_rows_are_pruned_once_a_day_and_the_counters_stay(
    client: TestClient, runtime: Runtime, clock: FixedClock, book: Collection
) -> None:
    post(client, event(book, "impression"))
    clock.advance(days=1)
    post(client, event(book, "impression", session="reader-0002"))
    with runtime.db.read() as conn:
        assert conn.execute(select(func.count()).select_from(reader_sessions)).scalar_one() == 2
    clock.advance(days=1)
    post(client, event(book, "view", session="reader-0003"))  # the day's first event prunes
    with runtime.db.read() as conn:
        sessions = conn.execute(select(reader_sessions.c.session)).scalars().all()
    assert sorted(sessions) == ["reader-0002", "reader-0003"]
    found = totals(runtime, book)
    assert (found.impressions, found.views) == (2, 1)


def _complete() -> Any:
    from flipshelf.domain.collections import ConvertStatus

    return ConvertStatus.COMPLETE
