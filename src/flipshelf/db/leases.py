"""Rows that are jobs: the lease pattern conversions and package builds share.

A job's row carries `lease_until`, `queued_at` and `attempts` next to its status. A claim is one
conditional UPDATE that takes a free lease and bumps `attempts`, which then is the lease's token:
renewals and outcomes land only while the row is still processing under that token, so a worker
that lost its lease (a sweep re-queued the job, another worker claimed it) changes nothing. The
sweep's `lost` finds jobs whose lease ran out or whose queued message never started, and marks
them queued again in the same transaction, so one sweep sends each once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Column, ColumnElement, Connection, Table, Update, and_, or_, select, update


@dataclass(frozen=True)
class Leased:
    """A table of jobs: rows are found by `key`, and are to do while `status` is `processing`."""

    table: Table
    key: Column[Any]
    status: Column[Any]
    processing: str

    def claim(self, key: object, now: datetime, lease: timedelta, owner: str) -> Update:
        """Takes the job if it still needs doing and nobody holds a live lease (rowcount 1);
        `owner` names the worker, so its supervisor can free the lease if it dies."""
        columns = self.table.c
        free = or_(columns.lease_until.is_(None), columns.lease_until < now)
        return (
            update(self.table)
            .where(self.key == key, self.status == self.processing, free)
            .values(lease_until=now + lease, attempts=columns.attempts + 1, lease_owner=owner)
        )

    def expire_owner(self, owner: str, now: datetime) -> Update:
        """Ends, as of `now`, every live lease `owner` holds: its worker is known to be dead,
        so the next sweep re-queues its jobs instead of waiting for the leases to run out."""
        columns = self.table.c
        return (
            update(self.table)
            .where(
                self.status == self.processing,
                columns.lease_owner == owner,
                columns.lease_until.is_not(None),
                columns.lease_until >= now,
            )
            .values(lease_until=now)
        )

    def held(self, key: object, attempts: int) -> tuple[ColumnElement[bool], ...]:
        """The row is still this claim's: still processing, and no claim since."""
        return (
            self.key == key,
            self.status == self.processing,
            self.table.c.attempts == attempts,
        )

    def release(self, key: object, attempts: int, retry_at: datetime) -> Update:
        """Gives the job back after a transient failure: retried at `retry_at`, and the sweep
        leaves it alone until then."""
        return (
            update(self.table)
            .where(*self.held(key, attempts))
            .values(lease_until=None, queued_at=retry_at)
        )

    def lost(self, conn: Connection, now: datetime, grace: timedelta, limit: int) -> list[Any]:
        """Keys of jobs whose worker is gone (lease expired) or whose queued message never
        started within `grace`, each marked queued again (no lease, so a new claim may start)."""
        columns = self.table.c
        expired = and_(columns.lease_until.is_not(None), columns.lease_until < now)
        waiting = and_(
            columns.lease_until.is_(None),
            or_(columns.queued_at.is_(None), columns.queued_at < now - grace),
        )
        found = list(
            conn.execute(
                select(self.key)
                .where(self.status == self.processing, or_(expired, waiting))
                .order_by(columns.id)
                .limit(limit)
            ).scalars()
        )
        if found:
            conn.execute(
                update(self.table)
                .where(self.key.in_(found))
                .values(queued_at=now, lease_until=None)
            )
        return found
