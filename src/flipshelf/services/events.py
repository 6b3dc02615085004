"""Use cases on reader events: counting what the player reports, forgetting old sessions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from flipshelf.domain.collections import Collection, CollectionStatus
from flipshelf.domain.events import (
    ReaderEvent,
    Tally,
    UnknownTarget,
    check_target,
    session_key,
    tally,
)
from flipshelf.security.links import LinkCheck
from flipshelf.services import reading
from flipshelf.services.ports import Ports

# Sessions are page loads: a day after a session last started counting, its rows only take
# room. Keeping yesterday's too means a reading that crosses midnight still counts once.
SESSION_DAYS_KEPT = 2


@dataclass(frozen=True)
class SignedQuery:
    """The `exp` and `sig` a private collection's player carries on its events URL."""

    exp: str | None = None
    sig: str | None = None


def _may_read(ports: Ports, collection: Collection, link: SignedQuery, now: datetime) -> bool:
    if reading.is_public(collection):
        return True
    if collection.is_deleted or collection.status is not CollectionStatus.PRIVATE:
        return False
    check = ports.collection_links.check(collection.hash, link.exp, link.sig, now)
    return check is LinkCheck.VALID


def record_event(ports: Ports, event: ReaderEvent, link: SignedQuery) -> Tally:
    """Counts one reader event at most as often as the rules allow; answers what it added.

    Refuses, storing nothing: UnknownTarget when the collection is not one the public may read
    (a private one needs a valid link) or the flipbook is not in it; InvalidEvent when the page is
    beyond the flipbook's pages."""
    now = ports.clock.now()
    collection = ports.collections.get(event.collection_hash)
    if collection is None or not _may_read(ports, collection, link, now):
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
