"""What the job tables say about the queue, for `flipshelf jobs status`: per kind of job, how many
wait, run (a worker holds the lease) and failed, and since when the oldest has waited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Table, and_, func, or_, select

from flipshelf.db.database import Database
from flipshelf.db.schema import flipbooks, packages
from flipshelf.domain.collections import ConvertStatus
from flipshelf.domain.packages import PackageStatus


@dataclass(frozen=True)
class JobCounts:
    kind: str  # "conversion" or "package"
    waiting: int
    running: int
    failed: int
    oldest_waiting_since: datetime | None


def job_counts(db: Database, now: datetime) -> list[JobCounts]:
    """Conversions (flipbooks) and package builds, as their rows stand now."""
    return [
        _counts(db, now, "conversion", flipbooks, flipbooks.c.convert_status),
        _counts(db, now, "package", packages, packages.c.status),
    ]


def _counts(
    db: Database, now: datetime, kind: str, table: Table, status: ColumnElement[str]
) -> JobCounts:
    # Both tables spell their states the same way (PROCESSING, COMPLETE, FAILED).
    assert ConvertStatus.PROCESSING.value == PackageStatus.PROCESSING.value
    processing = status == ConvertStatus.PROCESSING.value
    held = and_(table.c.lease_until.is_not(None), table.c.lease_until > now)
    waiting = and_(processing, or_(table.c.lease_until.is_(None), table.c.lease_until <= now))
    with db.read() as conn:
        row = conn.execute(
            select(
                func.count().filter(waiting),
                func.count().filter(and_(processing, held)),
                func.count().filter(status == ConvertStatus.FAILED.value),
                func.min(table.c.queued_at).filter(waiting),
            ).select_from(table)
        ).one()
    return JobCounts(kind, int(row[0]), int(row[1]), int(row[2]), row[3])


def pages_converted(db: Database) -> int:
    """Pages of every converted book still in the table (a deleted collection's books too:
    their rows stay; a book removed from its collection leaves), for /metrics: its rate is the
    installation's conversion pages per second."""
    with db.read() as conn:
        total = conn.execute(
            select(func.coalesce(func.sum(flipbooks.c.page_count), 0)).where(
                flipbooks.c.convert_status == ConvertStatus.COMPLETE.value
            )
        ).scalar_one()
    return int(total)
