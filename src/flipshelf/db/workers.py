"""Workers as the database sees them: the owners of job leases, of every kind of job."""

from __future__ import annotations

from datetime import datetime

from flipshelf.db.conversions import JOBS
from flipshelf.db.database import Database
from flipshelf.db.deliveries import DELIVERIES
from flipshelf.db.packages import BUILDS


class SqlWorkers:
    def __init__(self, db: Database) -> None:
        self._db = db

    def expire_leases(self, owner: str, now: datetime) -> int:
        """Ends the live leases of a worker known to be dead (see `Leased.expire_owner`), so its
        conversions, builds and deliveries are re-queued by the next sweep; answers how many it
        held."""
        with self._db.write() as conn:
            return sum(
                conn.execute(job.expire_owner(owner, now)).rowcount
                for job in (JOBS, BUILDS, DELIVERIES)
            )
