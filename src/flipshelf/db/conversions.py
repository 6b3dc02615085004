"""The database side of conversion jobs: the row is the truth, the queue only a hint.

A job claims its flipbook with a lease; while it works it renews the lease and records progress;
a sweep finds flipbooks still PROCESSING whose lease ran out (their worker died) and queues them
again. Claiming is one conditional UPDATE, so two deliveries of one job never both run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Update, and_, or_, select, update

from flipshelf.db.database import Database
from flipshelf.db.schema import collections, flipbooks
from flipshelf.domain.collections import ConvertStatus

_PROCESSING = ConvertStatus.PROCESSING.value


@dataclass(frozen=True)
class ClaimedJob:
    flipbook_hash: str
    collection_id: int
    source_key: str
    extension: str
    attempts: int


def _bump_collection(collection_id: int, now: datetime) -> Update:
    return (
        update(collections)
        .where(collections.c.id == collection_id)
        .values(version=collections.c.version + 1, updated_at=now)
    )


def _held(job: ClaimedJob) -> tuple[ColumnElement[bool], ...]:
    """The row is still this job's: same flipbook, still converting, no claim since."""
    return (
        flipbooks.c.hash == job.flipbook_hash,
        flipbooks.c.convert_status == _PROCESSING,
        flipbooks.c.attempts == job.attempts,
    )


class SqlConversions:
    def __init__(self, db: Database) -> None:
        self._db = db

    def claim(self, flipbook_hash: str, now: datetime, lease: timedelta) -> ClaimedJob | None:
        """Takes the job if it still needs doing and nobody holds a live lease on it."""
        free = or_(flipbooks.c.lease_until.is_(None), flipbooks.c.lease_until < now)
        with self._db.write() as conn:
            claimed = conn.execute(
                update(flipbooks)
                .where(
                    flipbooks.c.hash == flipbook_hash,
                    flipbooks.c.convert_status == _PROCESSING,
                    free,
                )
                .values(lease_until=now + lease, attempts=flipbooks.c.attempts + 1)
            ).rowcount
            if not claimed:
                return None
            row = conn.execute(select(flipbooks).where(flipbooks.c.hash == flipbook_hash)).one()
        return ClaimedJob(row.hash, row.collection_id, row.source_key, row.extension, row.attempts)

    def progress(
        self, job: ClaimedJob, now: datetime, lease: timedelta, pages_ready: int, page_count: int
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
        job: ClaimedJob,
        now: datetime,
        status: ConvertStatus,
        *,
        page_count: int | None = None,
        error: str | None = None,
    ) -> bool:
        """Ends the job with its outcome, unless another claim took it over meanwhile."""
        values: dict[str, object] = {"convert_status": status.value, "lease_until": None}
        if page_count is not None:
            values.update(page_count=page_count, pages_ready=page_count)
        if error is not None:
            values["convert_error"] = error[:255]
        with self._db.write() as conn:
            if not conn.execute(update(flipbooks).where(*_held(job)).values(**values)).rowcount:
                return False
            conn.execute(_bump_collection(job.collection_id, now))
        return True

    def release(self, job: ClaimedJob, retry_at: datetime) -> None:
        """Gives the job back after a transient failure; it is retried at `retry_at`, and the
        sweep leaves it alone until then."""
        with self._db.write() as conn:
            conn.execute(
                update(flipbooks).where(*_held(job)).values(lease_until=None, queued_at=retry_at)
            )

    def lost(self, now: datetime, grace: timedelta, limit: int = 100) -> list[str]:
        """PROCESSING flipbooks whose worker is gone (lease expired) or whose queued job never
        started within `grace`; each is marked queued again, so one sweep sends it once."""
        expired = and_(flipbooks.c.lease_until.is_not(None), flipbooks.c.lease_until < now)
        waiting = and_(
            flipbooks.c.lease_until.is_(None),
            or_(flipbooks.c.queued_at.is_(None), flipbooks.c.queued_at < now - grace),
        )
        with self._db.write() as conn:
            rows = conn.execute(
                select(flipbooks.c.hash)
                .where(flipbooks.c.convert_status == _PROCESSING, or_(expired, waiting))
                .order_by(flipbooks.c.id)
                .limit(limit)
            ).all()
            found = [row.hash for row in rows]
            if found:
                # Queued anew: no lease (so a new claim may start) until the grace passes again.
                conn.execute(
                    update(flipbooks)
                    .where(flipbooks.c.hash.in_(found))
                    .values(queued_at=now, lease_until=None)
                )
        return found

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
