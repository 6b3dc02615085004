"""The monthly upload counter. Charging is one conditional UPDATE, so it is exact under
concurrent uploads on both SQLite (writers serialize) and PostgreSQL (row lock)."""

from __future__ import annotations

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from flipshelf.db.database import Database
from flipshelf.db.schema import upload_counters as uc


class SqlQuota:
    def __init__(self, db: Database) -> None:
        self._db = db

    def used(self, account_id: int, month: str) -> int:
        with self._db.read() as conn:
            value = conn.execute(
                select(uc.c.used).where(uc.c.account_id == account_id, uc.c.month == month)
            ).scalar_one_or_none()
        return int(value or 0)

    def charge(self, account_id: int, month: str, limit: int) -> bool:
        """Counts one upload if the month still has room; False when it is used up."""
        for _attempt in range(3):
            try:
                return self._charge_once(account_id, month, limit)
            except IntegrityError:
                # Two first uploads of the month raced to insert the row: count again.
                continue
        return self._charge_once(account_id, month, limit)

    def _charge_once(self, account_id: int, month: str, limit: int) -> bool:
        where = (uc.c.account_id == account_id, uc.c.month == month)
        with self._db.write() as conn:
            bumped = conn.execute(
                update(uc).where(*where, uc.c.used < limit).values(used=uc.c.used + 1)
            ).rowcount
            if bumped:
                return True
            if limit <= 0 or conn.execute(select(uc.c.used).where(*where)).first() is not None:
                return False
            conn.execute(insert(uc).values(account_id=account_id, month=month, used=1))
            return True

    def refund(self, account_id: int, month: str) -> None:
        """Gives back a charge whose upload did not end in 20 (e.g. the store failed)."""
        with self._db.write() as conn:
            conn.execute(
                update(uc)
                .where(uc.c.account_id == account_id, uc.c.month == month, uc.c.used > 0)
                .values(used=uc.c.used - 1)
            )
