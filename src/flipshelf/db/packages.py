"""The database side of offline packages: one row per collection version, the truth for builds.

`ensure` is how fifty simultaneous downloadHTML calls agree: an INSERT that does nothing on a
duplicate (collection, version), so exactly one caller learns it created the row and queues the
build. A build then follows the conversion pattern (db/conversions.py): a claim is one
conditional UPDATE taking a lease whose token is `attempts`; renewals and the outcome only land
while that token still holds; a sweep re-queues builds whose lease ran out or whose message the
queue lost.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Connection, Update, and_, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from flipshelf.db.database import Database
from flipshelf.db.leases import Leased
from flipshelf.db.schema import collections, packages
from flipshelf.domain.packages import (
    ClaimedBuild,
    Package,
    PackageStatus,
    PackageVariant,
    next_round,
)
from flipshelf.domain.webhooks import EventKind

if TYPE_CHECKING:
    from flipshelf.db.outbox import Outbox

_PROCESSING = PackageStatus.PROCESSING.value
BUILDS = Leased(packages, packages.c.id, packages.c.status, _PROCESSING)


def _package(row: Any) -> Package:
    return Package(
        id=row.id,
        collection_id=row.collection_id,
        version=row.version,
        status=PackageStatus(row.status),
        key=row.key,
        size=row.size,
        error=row.error,
        attempts=row.attempts,
        created_at=row.created_at,
        completed_at=row.completed_at,
        variant=PackageVariant(row.variant),
    )


def rearm(package_id: int, attempts: int, per_round: int, now: datetime) -> Update:
    """Turns a FAILED package, still at `attempts` (no one re-armed it since), back to
    PROCESSING for a new round of tries (downloadHTML after a while, `flipshelf jobs retry`)."""
    return (
        update(packages)
        .where(
            packages.c.id == package_id,
            packages.c.status == PackageStatus.FAILED.value,
            packages.c.attempts == attempts,
        )
        .values(
            status=_PROCESSING,
            attempts=next_round(attempts, per_round),
            error=None,
            completed_at=None,
            lease_until=None,
            queued_at=now,
        )
    )


def _held(build: ClaimedBuild) -> tuple[ColumnElement[bool], ...]:
    return BUILDS.held(build.package_id, build.attempts)


class SqlPackages:
    def __init__(self, db: Database, attempts_per_round: int, outbox: Outbox | None = None) -> None:
        self._db = db
        self._per_round = attempts_per_round
        self._outbox = outbox

    def _find(
        self, conn: Connection, collection_id: int, version: int, variant: PackageVariant
    ) -> Package | None:
        row = conn.execute(
            select(packages).where(
                packages.c.collection_id == collection_id,
                packages.c.version == version,
                packages.c.variant == variant.value,
            )
        ).first()
        return None if row is None else _package(row)

    def ensure(
        self,
        collection_id: int,
        version: int,
        now: datetime,
        variant: PackageVariant = PackageVariant.FULL,
    ) -> tuple[Package, bool]:
        """The package of this collection version and variant, made PROCESSING if there was
        none; True when this call made it (and so must queue its build)."""
        with self._db.read() as conn:
            found = self._find(conn, collection_id, version, variant)
        if found is not None:
            return found, False  # the common case (polling): no write lock taken
        insert = (postgresql.insert if self._db.dialect == "postgresql" else sqlite.insert)(
            packages
        )
        statement = insert.values(
            collection_id=collection_id,
            version=version,
            variant=variant.value,
            status=_PROCESSING,
            attempts=0,
            queued_at=now,
            created_at=now,
        ).on_conflict_do_nothing(index_elements=["collection_id", "version", "variant"])
        with self._db.write() as conn:
            # RETURNING, not rowcount: psycopg reports -1 for an INSERT ... ON CONFLICT.
            created = conn.execute(statement.returning(packages.c.id)).first() is not None
            package = self._find(conn, collection_id, version, variant)
        assert package is not None
        return package, created

    def get(self, package_id: int) -> Package | None:
        with self._db.read() as conn:
            row = conn.execute(select(packages).where(packages.c.id == package_id)).first()
        return None if row is None else _package(row)

    def rearm(self, package: Package, now: datetime) -> bool:
        """Turns a FAILED package back to PROCESSING for a new round of tries; True for the one
        caller whose UPDATE did it (it queues the build)."""
        with self._db.write() as conn:
            statement = rearm(package.id, package.attempts, self._per_round, now)
            changed = conn.execute(statement).rowcount
        return bool(changed)

    def claim(
        self, package_id: int, now: datetime, lease: timedelta, owner: str = ""
    ) -> ClaimedBuild | None:
        """Takes the build for worker `owner` if it still needs doing and nobody holds a live
        lease on it."""
        with self._db.write() as conn:
            claimed = conn.execute(BUILDS.claim(package_id, now, lease, owner)).rowcount
            if not claimed:
                return None
            row = conn.execute(
                select(
                    packages.c.id,
                    packages.c.version,
                    packages.c.attempts,
                    packages.c.variant,
                    collections.c.hash,
                )
                .join(collections, collections.c.id == packages.c.collection_id)
                .where(packages.c.id == package_id)
            ).one()
        return ClaimedBuild(
            row.id, row.hash, row.version, row.attempts, PackageVariant(row.variant)
        )

    def renew(self, build: ClaimedBuild, now: datetime, lease: timedelta) -> bool:
        """Extends the lease; False when the build was taken away (another claim since)."""
        with self._db.write() as conn:
            renewed = conn.execute(
                update(packages).where(*_held(build)).values(lease_until=now + lease)
            ).rowcount
        return bool(renewed)

    def complete(self, build: ClaimedBuild, now: datetime, key: str, size: int) -> bool:
        """Marks the package COMPLETE with its stored file, unless another claim took over."""
        values = {"status": PackageStatus.COMPLETE.value, "key": key, "size": size}
        return self._finish(build, now, values, EventKind.PACKAGE_READY)

    def fail(self, build: ClaimedBuild, now: datetime, error: str) -> bool:
        values: dict[str, object] = {"status": PackageStatus.FAILED.value, "error": error[:255]}
        return self._finish(build, now, values, EventKind.PACKAGE_FAILED)

    def _finish(
        self, build: ClaimedBuild, now: datetime, values: dict[str, object], event: EventKind
    ) -> bool:
        with self._db.write() as conn:
            done = conn.execute(
                update(packages)
                .where(*_held(build))
                .values(lease_until=None, completed_at=now, **values)
            ).rowcount
            if done and self._outbox is not None:
                self._announce(conn, build, event, now)
        return bool(done)

    def _announce(
        self, conn: Connection, build: ClaimedBuild, event: EventKind, now: datetime
    ) -> None:
        """The package's webhook event. A build the collection moved past (an edit, or the
        zoom pass a few seconds after each conversion) is announced failed too, with its
        reason: downloadHTML must be called again for the current version. A deleted
        collection's build is not: collection.deleted said it all."""
        assert self._outbox is not None
        row = conn.execute(
            select(packages.c.collection_id, packages.c.error)
            .join(collections, packages.c.collection_id == collections.c.id)
            .where(packages.c.id == build.package_id, collections.c.deleted_at.is_(None))
        ).first()
        if row is not None:
            about = {"packageError": row.error} if row.error else {}
            self._outbox.record(conn, row.collection_id, event, now, about)

    def release(self, build: ClaimedBuild, retry_at: datetime) -> None:
        """Gives the build back after a transient failure (see `Leased.release`)."""
        with self._db.write() as conn:
            conn.execute(BUILDS.release(build.package_id, build.attempts, retry_at))

    def lost(self, now: datetime, grace: timedelta, limit: int = 100) -> list[int]:
        """PROCESSING packages whose builder is gone or whose build never started (see
        `Leased.lost`); each is marked queued again, so one sweep sends it once."""
        with self._db.write() as conn:
            return [int(key) for key in BUILDS.lost(conn, now, grace, limit)]

    def remove_superseded(self, before: datetime, limit: int = 100) -> list[str]:
        """Deletes the rows of packages whose collection moved to a newer version (or was
        deleted) before `before`; answers their stored keys, for the caller to delete after.
        A row goes first: a file without a row is an orphan, a row without its file a 404."""
        # Deleting a collection bumps its version too, so this covers deleted collections.
        moved_on = and_(
            collections.c.version > packages.c.version, collections.c.updated_at < before
        )
        with self._db.write() as conn:
            rows = conn.execute(
                select(packages.c.id, packages.c.key)
                .join(collections, collections.c.id == packages.c.collection_id)
                .where(moved_on)
                .order_by(packages.c.id)
                .limit(limit)
            ).all()
            if rows:
                conn.execute(delete(packages).where(packages.c.id.in_([row.id for row in rows])))
        return [row.key for row in rows if row.key]
