"""The database side of conversion jobs: the row is the truth, the queue only a hint.

A job claims its flipbook with a lease; while it works it renews the lease and records progress;
a sweep finds flipbooks still PROCESSING whose lease ran out (their worker died) and queues them
again. Claiming is one conditional UPDATE, so two deliveries of one job never both run (the
pattern, shared with package builds, is in db/leases.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Update, select, update

from flipshelf.db.database import Database
from flipshelf.db.leases import Leased
from flipshelf.db.schema import collections, flipbooks
from flipshelf.domain.collections import ClaimedConversion, ConvertStatus
from flipshelf.domain.webhooks import EventKind

if TYPE_CHECKING:
    from flipshelf.db.outbox import Outbox

JOBS = Leased(
    flipbooks, flipbooks.c.hash, flipbooks.c.convert_status, ConvertStatus.PROCESSING.value
)


def _bump_collection(collection_id: int | ColumnElement[Any], now: datetime) -> Update:
    return (
        update(collections)
        .where(collections.c.id == collection_id)
        .values(version=collections.c.version + 1, updated_at=now)
    )


def _held(job: ClaimedConversion) -> tuple[ColumnElement[bool], ...]:
    return JOBS.held(job.flipbook_hash, job.attempts)


# The webhook event a conversion's end announces.
_ENDED = {
    ConvertStatus.COMPLETE: EventKind.FLIPBOOK_CONVERTED,
    ConvertStatus.FAILED: EventKind.FLIPBOOK_FAILED,
}


# A COMPLETE book whose zoom pass is due and not done. Books converted before zoom passes were
# jobs have no `zoom_queued_at`: never due.
_ZOOM_DUE = (
    flipbooks.c.convert_status == ConvertStatus.COMPLETE.value,
    flipbooks.c.zoomed_at.is_(None),
    flipbooks.c.zoom_queued_at.is_not(None),
)


class SqlConversions:
    def __init__(self, db: Database, outbox: Outbox | None = None) -> None:
        self._db = db
        self._outbox = outbox

    def claim(
        self, flipbook_hash: str, now: datetime, lease: timedelta, owner: str = ""
    ) -> ClaimedConversion | None:
        """Takes the job for worker `owner` if it still needs doing and nobody holds a live
        lease on it."""
        with self._db.write() as conn:
            claimed = conn.execute(JOBS.claim(flipbook_hash, now, lease, owner)).rowcount
            if not claimed:
                return None
            row = conn.execute(select(flipbooks).where(flipbooks.c.hash == flipbook_hash)).one()
        return ClaimedConversion(
            row.hash, row.collection_id, row.source_key, row.extension, row.attempts
        )

    def progress(
        self,
        job: ClaimedConversion,
        now: datetime,
        lease: timedelta,
        pages_ready: int,
        page_count: int,
    ) -> bool:
        """Records pages ready and renews the lease; False if the job was taken away (another
        claim since: the attempt number is the lease's token)."""
        with self._db.write() as conn:
            renewed = conn.execute(
                update(flipbooks)
                .where(*_held(job))
                .values(lease_until=now + lease, pages_ready=pages_ready, page_count=page_count)
            ).rowcount
        return bool(renewed)

    def finish(
        self,
        job: ClaimedConversion,
        now: datetime,
        status: ConvertStatus,
        *,
        page_count: int | None = None,
        error: str | None = None,
        failed_pages: tuple[int, ...] = (),
    ) -> bool:
        """Ends the job with its outcome, unless another claim took it over meanwhile."""
        values: dict[str, object] = {
            "convert_status": status.value,
            "lease_until": None,
            "failed_pages": failed_pages,
        }
        if page_count is not None:
            values.update(page_count=page_count, pages_ready=page_count)
        if status is ConvertStatus.COMPLETE:
            # The zoom pass is due from now on; the worker queues it, the sweep if that is lost.
            values.update(zoom_queued_at=now, zoomed_at=None, zoom_attempts=0)
        if error is not None:
            values["convert_error"] = error[:255]
        with self._db.write() as conn:
            if not conn.execute(update(flipbooks).where(*_held(job)).values(**values)).rowcount:
                return False
            conn.execute(_bump_collection(job.collection_id, now))
            if self._outbox is not None and status in _ENDED:
                about = {"flipbookHash": job.flipbook_hash}
                self._outbox.record(conn, job.collection_id, _ENDED[status], now, about)
        return True

    def release(self, job: ClaimedConversion, retry_at: datetime) -> None:
        """Gives the job back after a transient failure (see `Leased.release`)."""
        with self._db.write() as conn:
            conn.execute(JOBS.release(job.flipbook_hash, job.attempts, retry_at))

    def lost(self, now: datetime, grace: timedelta, limit: int = 100) -> list[str]:
        """PROCESSING flipbooks whose worker is gone or whose job never started (see
        `Leased.lost`); each is marked queued again, so one sweep sends it once."""
        with self._db.write() as conn:
            return [str(key) for key in JOBS.lost(conn, now, grace, limit)]

    def zoom_start(self, flipbook_hash: str, now: datetime, max_attempts: int) -> bool:
        """Starts a zoom pass of a COMPLETE book not zoomed yet, if it has attempts left;
        False when there is nothing to do (a duplicate message, a deleted or changed book)."""
        with self._db.write() as conn:
            started = conn.execute(
                update(flipbooks)
                .where(*_ZOOM_DUE, flipbooks.c.hash == flipbook_hash)
                .where(flipbooks.c.zoom_attempts < max_attempts)
                .values(zoom_attempts=flipbooks.c.zoom_attempts + 1, zoom_queued_at=now)
            ).rowcount
        return bool(started)

    def zoom_alive(self, flipbook_hash: str, now: datetime) -> None:
        """A running zoom pass shows progress, so the sweep does not queue it again."""
        with self._db.write() as conn:
            conn.execute(
                update(flipbooks)
                .where(*_ZOOM_DUE, flipbooks.c.hash == flipbook_hash)
                .values(zoom_queued_at=now)
            )

    def zoomed(self, flipbook_hash: str, now: datetime) -> bool:
        """The zoom pass of a COMPLETE flipbook has added its large images: recorded, and the
        collection's version moves on, so an offline package built before (without them) is
        built again on the next request. False when the flipbook is gone or not complete."""
        complete = (
            flipbooks.c.hash == flipbook_hash,
            flipbooks.c.convert_status == ConvertStatus.COMPLETE.value,
        )
        owner = select(flipbooks.c.collection_id).where(*complete).scalar_subquery()
        with self._db.write() as conn:
            conn.execute(update(flipbooks).where(*complete).values(zoomed_at=now))
            return bool(conn.execute(_bump_collection(owner, now)).rowcount)

    def lost_zooms(
        self, now: datetime, grace: timedelta, max_attempts: int, limit: int = 100
    ) -> list[str]:
        """Books whose zoom pass went quiet for `grace` (its message lost, its worker dead) and
        has attempts left, in collections not deleted; each marked queued again, so one sweep
        sends it once."""
        live = select(collections.c.id).where(collections.c.deleted_at.is_(None))
        with self._db.write() as conn:
            found = list(
                conn.execute(
                    select(flipbooks.c.hash)
                    .where(
                        *_ZOOM_DUE,
                        flipbooks.c.zoom_queued_at < now - grace,
                        flipbooks.c.zoom_attempts < max_attempts,
                        flipbooks.c.collection_id.in_(live),
                    )
                    .order_by(flipbooks.c.id)
                    .limit(limit)
                ).scalars()
            )
            if found:
                conn.execute(
                    update(flipbooks).where(flipbooks.c.hash.in_(found)).values(zoom_queued_at=now)
                )
        return [str(key) for key in found]

    def source_key(self, flipbook_hash: str) -> str | None:
        with self._db.read() as conn:
            value = conn.execute(
                select(flipbooks.c.source_key).where(flipbooks.c.hash == flipbook_hash)
            ).scalar_one_or_none()
        return None if value is None else str(value)

    def attempts(self, flipbook_hash: str) -> int:
        with self._db.read() as conn:
            value = conn.execute(
                select(flipbooks.c.attempts).where(flipbooks.c.hash == flipbook_hash)
            ).scalar_one_or_none()
        return int(value or 0)
