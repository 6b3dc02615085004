"""`POST /events`: what readers do in the player, counted for getStats (docs/statistics.md).

One small JSON event per request, sent with fetch or navigator.sendBeacon (so `text/plain` is
accepted beside `application/json`). Answers 204 when the event was taken (counted, or already
counted for this reading session), else a short plain-text reason: 400 malformed, 404 no such
readable collection or flipbook, 413 too large, 415 wrong content type, 429 too many events from
this client. A refused event stores nothing.

A private collection's player sends the `exp` and `sig` of its signed link as the query string
of the events URL; without a valid one its events are not found, like its pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date

from limits import RateLimitItemPerMinute, RateLimitItemPerSecond
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from flipshelf.domain.events import (
    MAX_BODY_BYTES,
    InvalidEvent,
    ReaderEvent,
    UnknownTarget,
    parse_event,
)
from flipshelf.services import events
from flipshelf.services.ports import Ports
from flipshelf.web.links import reader_link

EVENTS_PATH = "/events"
_MEDIA_TYPES = frozenset({"application/json", "text/plain"})
_NO_STORE = {"Cache-Control": "no-store"}


@dataclass(frozen=True)
class EventLimits:
    """Events one client (address and session) may send. A reader holding down the arrow key
    sends a couple of dozen a second for a while; a loop sending thousands is not reading."""

    per_second: int = 50
    per_minute: int = 600


class EventThrottle:
    """Moving windows per client, in this process's memory. With several API processes each
    keeps its own windows, so a client may send up to N times the limit; the counting rules
    (once per session, capped time and clicks) hold across processes regardless, because they
    live in the database. Redis-backed windows would make the limit exact (docs/statistics.md).

    The synchronous in-memory storage on purpose: a hit is a few list operations under a thread
    lock, and it is not bound to one event loop the way the asyncio storage's lock is."""

    def __init__(self, limits: EventLimits) -> None:
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._second = RateLimitItemPerSecond(limits.per_second)
        self._minute = RateLimitItemPerMinute(limits.per_minute)

    def admit(self, client: str, session: str) -> bool:
        key = f"{client} {session}"
        if not self._limiter.hit(self._second, "events-s", key):
            return False
        return bool(self._limiter.hit(self._minute, "events-m", key))


def _refuse(status: int, reason: str) -> Response:
    return PlainTextResponse(reason, status_code=status, headers=_NO_STORE)


def _media_type_ok(header: str | None) -> bool:
    if not header:
        return False
    media_type, _, params = header.partition(";")
    if media_type.strip().lower() not in _MEDIA_TYPES:
        return False
    charset = params.strip().lower().removeprefix("charset=").strip('"') if params else "utf-8"
    return charset in ("utf-8", "utf8")


async def _body(request: Request) -> bytes | None:
    """The body, or None once it is longer than an event can be (never read further)."""
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return None
    received = bytearray()
    async for chunk in request.stream():
        received += chunk
        if len(received) > MAX_BODY_BYTES:
            return None
    return bytes(received)


class ReaderEvents:
    def __init__(self, ports: Ports, limits: EventLimits) -> None:
        self.ports = ports
        self.throttle = EventThrottle(limits)
        self._pruned: date | None = None

    async def handle(self, request: Request) -> Response:
        if not _media_type_ok(request.headers.get("content-type")):
            return _refuse(415, "send the event as application/json or text/plain (UTF-8)")
        body = await _body(request)
        if body is None:
            return _refuse(413, f"an event is at most {MAX_BODY_BYTES} bytes")
        try:
            event = parse_event(body)
        except InvalidEvent as error:
            return _refuse(400, str(error))
        client = request.client.host if request.client else ""
        if not self.throttle.admit(client, event.session):
            return PlainTextResponse(
                "too many events", status_code=429, headers={**_NO_STORE, "Retry-After": "1"}
            )
        refused = await self._record(event, request)
        if refused is not None:
            return refused
        return Response(status_code=204, headers=_NO_STORE, background=self._prune_daily())

    async def _record(self, event: ReaderEvent, request: Request) -> Response | None:
        link = reader_link(request)
        try:
            await run_in_threadpool(events.record_event, self.ports, event, link)
        except UnknownTarget:
            return _refuse(404, "no such collection or flipbook")
        except InvalidEvent as error:
            return _refuse(400, str(error))
        return None

    def _prune_daily(self) -> BackgroundTask | None:
        """Once a UTC day per process, after answering: drop session rows no event needs."""
        today = self.ports.clock.now().astimezone(UTC).date()
        if self._pruned == today:
            return None
        self._pruned = today
        return BackgroundTask(events.forget_old_sessions, self.ports, today)


def events_endpoint(ports: Ports, limits: EventLimits | None = None) -> ReaderEvents:
    return ReaderEvents(ports, limits or EventLimits())
