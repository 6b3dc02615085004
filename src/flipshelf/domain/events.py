"""Reader events: what the player reports, how it is checked, and what each event counts.

Pure rules, no I/O. The player sends one small JSON object per event; `parse_event` accepts
exactly the documented shape (docs/statistics.md) and nothing else. What an event adds to the
statistics depends only on the event and on what the same reading session already counted for
it (`tally`), so the rule is the same on every backend and in every process.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from flipshelf.domain.collections import Collection
from flipshelf.domain.hashes import is_collection_hash, is_flipbook_hash

MAX_BODY_BYTES = 2048
MAX_EVENT_SECONDS = 3600
# What one session may add, however long the tab stays open or however often it clicks.
PAGE_SECONDS_CAP = 3600
CLICKS_PER_SESSION = 100

_SESSION = re.compile(r"[A-Za-z0-9_-]{8,64}")


class EventKind(StrEnum):
    IMPRESSION = "impression"  # the player loaded
    VIEW = "view"  # the reader's first interaction
    PAGE = "page"  # a page shown, with the seconds it was shown
    CLICK = "click"  # a link on a page followed
    DOWNLOAD = "download"  # the document downloaded


# The fields each kind takes besides collection, session and type; `flipbook` is optional
# for the whole-collection kinds (the player may not have opened a book yet).
_REQUIRED: dict[EventKind, frozenset[str]] = {
    EventKind.IMPRESSION: frozenset(),
    EventKind.VIEW: frozenset(),
    EventKind.PAGE: frozenset({"flipbook", "page", "seconds"}),
    EventKind.CLICK: frozenset({"flipbook", "page"}),
    EventKind.DOWNLOAD: frozenset({"flipbook"}),
}
_OPTIONAL: dict[EventKind, frozenset[str]] = {
    EventKind.IMPRESSION: frozenset({"flipbook"}),
    EventKind.VIEW: frozenset({"flipbook"}),
    EventKind.PAGE: frozenset(),
    EventKind.CLICK: frozenset(),
    EventKind.DOWNLOAD: frozenset(),
}
_ALWAYS = frozenset({"collection", "session", "type"})


class InvalidEvent(ValueError):
    """The event is malformed or out of range (HTTP 400). The message is the short reason."""


class UnknownTarget(LookupError):
    """No collection the public may read, or a flipbook outside it (HTTP 404)."""


@dataclass(frozen=True)
class ReaderEvent:
    collection_hash: str
    session: str
    kind: EventKind
    flipbook_hash: str | None = None
    page: int | None = None
    tenths: int = 0  # time on the page, in tenths of a second


def _reject_constant(name: str) -> Any:
    raise InvalidEvent(f"{name} is not a number")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # A key given twice would let two readings of one body disagree.
    value = dict(pairs)
    if len(value) != len(pairs):
        raise InvalidEvent("a field is given twice")
    return value


def _load(body: bytes) -> dict[str, Any]:
    if len(body) > MAX_BODY_BYTES:
        raise InvalidEvent("body too large")
    try:
        text = body.decode("utf-8")
        value = json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_unique_keys)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise InvalidEvent("body is not JSON") from None
    if not isinstance(value, dict):
        raise InvalidEvent("body is not a JSON object")
    return value


def _text(raw: dict[str, Any], name: str) -> str:
    value = raw.get(name)
    if not isinstance(value, str):
        raise InvalidEvent(f"{name} must be a string")
    return value


def _whole(raw: dict[str, Any], name: str, low: int, high: int) -> int:
    value = raw.get(name)
    # bool is an int in Python; `true` is not a page number.
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidEvent(f"{name} must be a whole number from {low} to {high}")
    return value


def _tenths(raw: dict[str, Any]) -> int:
    value = raw.get("seconds")
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidEvent("seconds must be a number")
    if not 0 <= value <= MAX_EVENT_SECONDS:
        raise InvalidEvent(f"seconds must be from 0 to {MAX_EVENT_SECONDS}")
    return math.floor(value * 10 + 0.5)


def _kind(raw: dict[str, Any]) -> EventKind:
    name = _text(raw, "type")
    try:
        return EventKind(name)
    except ValueError:
        raise InvalidEvent("unknown event type") from None


def _check_fields(raw: dict[str, Any], kind: EventKind) -> None:
    present = set(raw)
    missing = _REQUIRED[kind] - {name for name in present if raw[name] is not None}
    if missing:
        raise InvalidEvent(f"missing {', '.join(sorted(missing))}")
    extra = present - _ALWAYS - _REQUIRED[kind] - _OPTIONAL[kind]
    if extra:
        raise InvalidEvent(f"unexpected {', '.join(sorted(extra))} for {kind.value}")


def parse_event(body: bytes) -> ReaderEvent:
    """The event in a request body, or InvalidEvent with a short reason."""
    raw = _load(body)
    missing = _ALWAYS - set(raw)
    if missing:
        raise InvalidEvent(f"missing {', '.join(sorted(missing))}")
    kind = _kind(raw)
    _check_fields(raw, kind)
    collection_hash = _text(raw, "collection")
    if not is_collection_hash(collection_hash):
        raise InvalidEvent("malformed collection hash")
    session = _text(raw, "session")
    if not _SESSION.fullmatch(session):
        raise InvalidEvent("session must be 8 to 64 characters of A-Z a-z 0-9 _ -")
    # null is "no flipbook yet", allowed where the flipbook is optional (checked above).
    flipbook_hash = _text(raw, "flipbook") if raw.get("flipbook") is not None else None
    if flipbook_hash is not None and not is_flipbook_hash(flipbook_hash):
        raise InvalidEvent("malformed flipbook hash")
    return ReaderEvent(
        collection_hash=collection_hash,
        session=session,
        kind=kind,
        flipbook_hash=flipbook_hash,
        # The upper bound against the flipbook's page count is checked in `check_target`.
        page=_whole(raw, "page", 1, 1_000_000) if "page" in raw else None,
        tenths=_tenths(raw) if "seconds" in raw else 0,
    )


def check_target(event: ReaderEvent, collection: Collection) -> None:
    """The flipbook must be one of the collection's and the page one of the flipbook's."""
    if event.flipbook_hash is None:
        return
    item = collection.item(event.flipbook_hash)
    if item is None:
        raise UnknownTarget("the flipbook is not in this collection")
    if event.page is not None and event.page > (item.page_count or 0):
        raise InvalidEvent("page is beyond the flipbook's last page")


@dataclass(frozen=True)
class SessionKey:
    """What one reading session counts at most once (or up to a cap)."""

    kind: EventKind
    flipbook: str = ""  # "" for the collection as a whole
    page: int = 0  # 0 unless the key is one page


def session_key(event: ReaderEvent) -> SessionKey:
    if event.kind is EventKind.PAGE:
        return SessionKey(event.kind, event.flipbook_hash or "", event.page or 0)
    if event.kind is EventKind.DOWNLOAD:
        return SessionKey(event.kind, event.flipbook_hash or "")
    # Impressions, views and the click allowance are per collection and session.
    return SessionKey(event.kind)


@dataclass(frozen=True)
class Tally:
    """What one event adds: the session's new amount for its key (tenths of a second on the
    page, or clicks so far) and the increments of the collection's and one page's day counters."""

    amount: int
    collection: dict[str, int] = field(default_factory=dict)
    page: int | None = None
    page_counts: dict[str, int] = field(default_factory=dict)

    @property
    def counts(self) -> bool:
        return bool(self.collection or self.page_counts)


def _nonzero(**counts: int) -> dict[str, int]:
    return {name: value for name, value in counts.items() if value}


def tally(event: ReaderEvent, before: int | None) -> Tally:
    """What the event adds, given the session's amount for its key (None: never seen)."""
    seen = before is not None
    so_far = before or 0
    if event.kind is EventKind.PAGE:
        # Tenths accumulate per session and page; the counters get whole seconds as the total
        # crosses them, so many short looks add up instead of each rounding to nothing.
        amount = min(so_far + event.tenths, PAGE_SECONDS_CAP * 10)
        added = max(0, amount // 10 - so_far // 10)
        return Tally(
            amount=max(amount, so_far),
            collection=_nonzero(time_spent=added),
            page=event.page,
            page_counts=_nonzero(views=0 if seen else 1, time_spent=added),
        )
    if event.kind is EventKind.CLICK:
        if so_far >= CLICKS_PER_SESSION:
            return Tally(so_far)
        return Tally(so_far + 1, page=event.page, page_counts={"clicks": 1})
    if seen:
        return Tally(so_far)
    counter = {
        EventKind.IMPRESSION: "impressions",
        EventKind.VIEW: "views",
        EventKind.DOWNLOAD: "downloads",
    }[event.kind]
    return Tally(1, {counter: 1})
