"""Queries of the dashboard's sign-in: passwords, sessions, used login links, failed attempts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from flipshelf.db.database import Database
from flipshelf.db.schema import dashboard_sessions, passwords, sign_in_failures, used_login_links
from flipshelf.db.upsert import conflict_insert
from flipshelf.domain.signin import Failures, StoredSession


class SqlPasswords:
    def __init__(self, db: Database) -> None:
        self._db = db

    def get(self, account_id: int) -> str | None:
        """The account's argon2 hash; None when it has no password."""
        with self._db.read() as conn:
            found = conn.execute(
                select(passwords.c.hash).where(passwords.c.account_id == account_id)
            ).scalar_one_or_none()
        return None if found is None else str(found)

    def set(self, account_id: int, password_hash: str, now: datetime) -> None:
        with self._db.write() as conn:
            statement = conflict_insert(conn, passwords).values(
                account_id=account_id, hash=password_hash, changed_at=now
            )
            conn.execute(
                statement.on_conflict_do_update(
                    index_elements=["account_id"],
                    set_={"hash": password_hash, "changed_at": now},
                )
            )


def _session(row: Any) -> StoredSession:
    return StoredSession(row.token_hash, row.account_id, row.csrf, row.created_at, row.seen_at)


class SqlSessions:
    def __init__(self, db: Database) -> None:
        self._db = db

    def add(self, session: StoredSession) -> None:
        with self._db.write() as conn:
            conn.execute(
                insert(dashboard_sessions).values(
                    token_hash=session.token_hash,
                    account_id=session.account_id,
                    csrf=session.csrf,
                    created_at=session.created_at,
                    seen_at=session.seen_at,
                )
            )

    def get(self, token_hash: str) -> StoredSession | None:
        with self._db.read() as conn:
            row = conn.execute(
                select(dashboard_sessions).where(dashboard_sessions.c.token_hash == token_hash)
            ).first()
        return None if row is None else _session(row)

    def touch(self, token_hash: str, now: datetime) -> None:
        with self._db.write() as conn:
            conn.execute(
                update(dashboard_sessions)
                .where(dashboard_sessions.c.token_hash == token_hash)
                .values(seen_at=now)
            )

    def remove(self, token_hash: str) -> None:
        with self._db.write() as conn:
            conn.execute(
                delete(dashboard_sessions).where(dashboard_sessions.c.token_hash == token_hash)
            )

    def remove_of_account(self, account_id: int) -> int:
        with self._db.write() as conn:
            return conn.execute(
                delete(dashboard_sessions).where(dashboard_sessions.c.account_id == account_id)
            ).rowcount

    def forget(self, created_before: datetime, seen_before: datetime) -> int:
        """Drops sessions past their absolute or idle expiry."""
        s = dashboard_sessions
        with self._db.write() as conn:
            return conn.execute(
                delete(s).where((s.c.created_at < created_before) | (s.c.seen_at < seen_before))
            ).rowcount


class SqlLoginLinks:
    def __init__(self, db: Database) -> None:
        self._db = db

    def use(self, nonce: str, account_id: int, expires_at: datetime, now: datetime) -> bool:
        """True the first time a link's nonce is used; False when it was used before."""
        try:
            with self._db.write() as conn:
                conn.execute(delete(used_login_links).where(used_login_links.c.expires_at < now))
                conn.execute(
                    insert(used_login_links).values(
                        nonce=nonce, account_id=account_id, expires_at=expires_at
                    )
                )
        except IntegrityError:
            return False
        return True


class SqlSignInFailures:
    def __init__(self, db: Database) -> None:
        self._db = db

    def get(self, keys: list[str]) -> dict[str, Failures]:
        f = sign_in_failures
        with self._db.read() as conn:
            rows = conn.execute(select(f).where(f.c.key.in_(keys))).all()
        return {row.key: Failures(row.failures, row.last_at) for row in rows}

    def fail(self, keys: list[str], count: Callable[[Failures | None], Failures]) -> None:
        """Counts one failure under each key: `count` says what a key holds after it, given
        what it held. One transaction, rows locked: concurrent failures all count."""
        f = sign_in_failures
        with self._db.write() as conn:
            for key in keys:
                row = conn.execute(select(f).where(f.c.key == key).with_for_update()).first()
                after = count(None if row is None else Failures(row.failures, row.last_at))
                statement = conflict_insert(conn, f).values(
                    key=key, failures=after.count, last_at=after.last_at
                )
                conn.execute(
                    statement.on_conflict_do_update(
                        index_elements=["key"],
                        set_={"failures": after.count, "last_at": after.last_at},
                    )
                )

    def clear(self, keys: list[str]) -> None:
        with self._db.write() as conn:
            conn.execute(delete(sign_in_failures).where(sign_in_failures.c.key.in_(keys)))

    def forget_before(self, moment: datetime) -> int:
        with self._db.write() as conn:
            return conn.execute(
                delete(sign_in_failures).where(sign_in_failures.c.last_at < moment)
            ).rowcount
