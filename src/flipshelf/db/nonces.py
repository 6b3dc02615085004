"""Nonces seen from keys in strict mode: a replayed nonce is refused."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, insert
from sqlalchemy.exc import IntegrityError

from flipshelf.db.database import Database
from flipshelf.db.schema import nonces


class SqlNonces:
    def __init__(self, db: Database) -> None:
        self._db = db

    def remember(self, account_id: int, nonce: str, now: datetime) -> bool:
        """True the first time a nonce is seen for the account; False for a replay."""
        try:
            with self._db.write() as conn:
                conn.execute(insert(nonces).values(account_id=account_id, nonce=nonce, seen_at=now))
        except IntegrityError:
            return False
        return True

    def forget_before(self, moment: datetime) -> int:
        """Nonces older than the timestamp window can never be replayed successfully."""
        with self._db.write() as conn:
            return conn.execute(delete(nonces).where(nonces.c.seen_at < moment)).rowcount
