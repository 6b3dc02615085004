"""Use cases on reader events: counting what the player reports, forgetting old sessions."""

from __future__ import annotations

from datetime import UTC, date, timedelta

from flipshelf.domain.access import ReaderLink
from flipshelf.domain.events import (
    ReaderEvent,
    Tally,
    UnknownTarget,
    check_target,
    session_key,
    tally,
)
from flipshelf.services import reading
from flipshelf.services.ports import Ports

# Sessions are page loads: a day after a session last started counting, its rows only take
# room. Keeping yesterday's too means a reading that crosses midnight still counts once.
SESSION_DAYS_KEPT = 2


def record_event(ports: Ports, event: ReaderEvent, link: ReaderLink) -> Tally:
    """Counts one reader event at most as often as the rules allow; answers what it added.

    Refuses, storing nothing: UnknownTarget when the collection is not one the public may read
    (a private one needs a valid link) or the flipbook is not in it; InvalidEvent when the page is
    beyond the flipbook's pages."""
    now = ports.clock.now()
    collection = reading.open_collection(ports, event.collection_hash, link).collection
    if collection is None:
        raise UnknownTarget("no collection the public may read has this hash")
    check_target(event, collection)
    day = now.astimezone(UTC).date()  # counters are per UTC day
    key = session_key(event)
    return ports.stats.record(
        collection.id, event.session, key, day, lambda before: tally(event, before)
    )


def forget_old_sessions(ports: Ports, today: date) -> int:
    """Drops the session rows no event can need any more; the day counters stay for good."""
    return ports.stats.forget_sessions_before(today - timedelta(days=SESSION_DAYS_KEPT - 1))
