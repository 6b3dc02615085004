"""`flipshelf jobs retry`: FAILED conversions and package builds made PROCESSING again, each as
one transaction, so the caller queues exactly what was turned back.

A conversion restarts its attempts from 0, as a new upload would: its job row had no lease left
(FAILED ends the lease), and a worker that had lost the job earlier gives it up at its next page
(its renewals need PROCESSING under its own token). A package keeps counting (`next_round`), as
downloadHTML's own re-arm does. Only what a reader can still get is retried: conversions of
collections not deleted, and packages of a collection's current version.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update

from flipshelf.db.database import Database
from flipshelf.db.packages import rearm
from flipshelf.db.schema import collections, flipbooks, packages
from flipshelf.domain.collections import ConvertStatus
from flipshelf.domain.packages import PackageStatus

_FAILED = ConvertStatus.FAILED.value
_PROCESSING = ConvertStatus.PROCESSING.value


class SqlRetries:
    def __init__(self, db: Database, attempts_per_round: int) -> None:
        self._db, self._per_round = db, attempts_per_round

    def conversions(self, now: datetime, hashes: Sequence[str] | None = None) -> list[str]:
        """The FAILED conversions (all, or those of `hashes`) turned back to PROCESSING; their
        collections' versions move on (they are converting again)."""
        chosen = (
            select(flipbooks.c.id, flipbooks.c.hash, flipbooks.c.collection_id)
            .join(collections, collections.c.id == flipbooks.c.collection_id)
            .where(flipbooks.c.convert_status == _FAILED, collections.c.deleted_at.is_(None))
            .order_by(flipbooks.c.id)
        )
        if hashes is not None:
            chosen = chosen.where(flipbooks.c.hash.in_(list(hashes)))
        with self._db.write() as conn:
            rows = conn.execute(chosen).all()
            if not rows:
                return []
            conn.execute(
                update(flipbooks)
                .where(flipbooks.c.id.in_([row.id for row in rows]))
                .values(
                    convert_status=_PROCESSING,
                    convert_error=None,
                    failed_pages=(),
                    pages_ready=0,
                    attempts=0,
                    lease_until=None,
                    lease_owner=None,
                    queued_at=now,
                )
            )
            conn.execute(
                update(collections)
                .where(collections.c.id.in_({row.collection_id for row in rows}))
                .values(version=collections.c.version + 1, updated_at=now)
            )
        return [str(row.hash) for row in rows]

    def packages(self, now: datetime, ids: Sequence[int] | None = None) -> list[int]:
        """The FAILED builds of each collection's current version (all, or those of `ids`)
        turned back to PROCESSING for a new round of tries."""
        chosen = (
            select(packages.c.id, packages.c.attempts)
            .join(collections, collections.c.id == packages.c.collection_id)
            .where(
                packages.c.status == PackageStatus.FAILED.value,
                packages.c.version == collections.c.version,
                collections.c.deleted_at.is_(None),
            )
            .order_by(packages.c.id)
        )
        if ids is not None:
            chosen = chosen.where(packages.c.id.in_(list(ids)))
        with self._db.write() as conn:
            rows = conn.execute(chosen).all()
            for row in rows:
                conn.execute(rearm(row.id, row.attempts, self._per_round, now))
        return [int(row.id) for row in rows]
