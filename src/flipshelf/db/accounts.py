"""Queries on accounts."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from flipshelf.db.database import Database
from flipshelf.db.prepared import Query
from flipshelf.db.schema import accounts
from flipshelf.domain.accounts import Account, NameTaken


def _account(row: Any) -> Account:
    return Account(
        id=row.id,
        name=row.name,
        api_key=row.api_key,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
        strict=row.strict,
        hmac_only=row.hmac_only,
        deleted_at=row.deleted_at,
    )


_LIVE = accounts.c.deleted_at.is_(None)


# Read on every API call whose key is not in the credential cache.
_BY_API_KEY = Query(select(accounts).where(accounts.c.api_key == bindparam("api_key")))


def _nobody(_api_key: str) -> None:
    pass


class SqlAccounts:
    def __init__(self, db: Database, changed: Callable[[str], None] = _nobody) -> None:
        """`changed(api_key)` is called after a key's account or secret changed (committed),
        so this process can forget what it cached about the key."""
        self._db, self._changed = db, changed

    def create(
        self, name: str, api_key: str, secret_enc: bytes, now: datetime, hmac_only: bool = False
    ) -> Account:
        """Raises NameTaken when a live account has this name (one unique index decides, so
        two simultaneous creates cannot both take it)."""
        with _unique_name(name), self._db.write() as conn:
            new_id = conn.execute(
                insert(accounts).values(
                    name=name,
                    api_key=api_key,
                    secret_enc=secret_enc,
                    strict=False,
                    hmac_only=hmac_only,
                    created_at=now,
                )
            ).inserted_primary_key
            assert new_id is not None
            row = conn.execute(select(accounts).where(accounts.c.id == new_id[0])).one()
        return _account(row)

    def by_api_key(self, api_key: str) -> tuple[Account, bytes] | None:
        """The account and its encrypted secret, revoked or not."""
        with self._db.snapshot() as snapshot:
            row = snapshot.first(_BY_API_KEY, api_key=api_key)
        return None if row is None else (_account(row), row.secret_enc)

    def by_id(self, account_id: int) -> Account | None:
        with self._db.read() as conn:
            row = conn.execute(select(accounts).where(accounts.c.id == account_id)).first()
        return None if row is None else _account(row)

    def active_named(self, name: str) -> list[Account]:
        """The active account with exactly this name, in a list (empty: none)."""
        with self._db.read() as conn:
            rows = conn.execute(
                select(accounts)
                .where(accounts.c.name == name, accounts.c.revoked_at.is_(None), _LIVE)
                .order_by(accounts.c.id)
            ).all()
        return [_account(row) for row in rows]

    def all(self) -> list[Account]:
        """Every account not deleted, revoked ones too."""
        with self._db.read() as conn:
            rows = conn.execute(select(accounts).where(_LIVE).order_by(accounts.c.id)).all()
        return [_account(row) for row in rows]

    def one_sealed_secret(self) -> tuple[str, bytes] | None:
        """An active key and its sealed secret, read with the columns every schema version
        has, so `flipshelf check` can try the server key before migrations run."""
        with self._db.read() as conn:
            row = conn.execute(
                select(accounts.c.api_key, accounts.c.secret_enc)
                .where(accounts.c.revoked_at.is_(None))
                .order_by(accounts.c.id)
                .limit(1)
            ).first()
        return None if row is None else (row.api_key, row.secret_enc)

    def any_ever(self) -> bool:
        """Whether any account was ever made (deleted ones count): `serve` makes a first
        account only on a database that never had one."""
        with self._db.read() as conn:
            return conn.execute(select(accounts.c.id).limit(1)).first() is not None

    def rename(self, api_key: str, name: str) -> Account | None:
        """None when no live account has this key; NameTaken when another has the name."""
        with _unique_name(name), self._db.write() as conn:
            done = conn.execute(
                update(accounts).where(accounts.c.api_key == api_key, _LIVE).values(name=name)
            ).rowcount
            row = conn.execute(select(accounts).where(accounts.c.api_key == api_key)).first()
        return _account(row) if done and row is not None else None

    def unrevoke(self, api_key: str) -> bool:
        """A revoked key works again (never a deleted account's)."""
        with self._db.write() as conn:
            result = conn.execute(
                update(accounts)
                .where(accounts.c.api_key == api_key, accounts.c.revoked_at.is_not(None), _LIVE)
                .values(revoked_at=None)
            )
        self._changed(api_key)
        return result.rowcount == 1

    def delete(self, api_key: str, now: datetime) -> bool:
        """Marks the account deleted and its key revoked; the row stays for its collections."""
        with self._db.write() as conn:
            result = conn.execute(
                update(accounts)
                .where(accounts.c.api_key == api_key, _LIVE)
                .values(deleted_at=now, revoked_at=func.coalesce(accounts.c.revoked_at, now))
            )
        self._changed(api_key)
        return result.rowcount == 1

    def count_active(self) -> int:
        with self._db.read() as conn:
            query = (
                select(func.count()).select_from(accounts).where(accounts.c.revoked_at.is_(None))
            )
            return int(conn.execute(query).scalar_one())

    def revoke(self, api_key: str, now: datetime) -> bool:
        with self._db.write() as conn:
            result = conn.execute(
                update(accounts)
                .where(accounts.c.api_key == api_key, accounts.c.revoked_at.is_(None), _LIVE)
                .values(revoked_at=now)
            )
        self._changed(api_key)
        return result.rowcount == 1

    def replace_secret(self, api_key: str, secret_enc: bytes) -> bool:
        with self._db.write() as conn:
            result = conn.execute(
                update(accounts)
                .where(accounts.c.api_key == api_key, accounts.c.revoked_at.is_(None))
                .values(secret_enc=secret_enc)
            )
        self._changed(api_key)
        return result.rowcount == 1

    def set_strict(self, api_key: str, strict: bool) -> bool:
        return self._set(api_key, strict=strict)

    def set_hmac_only(self, api_key: str, hmac_only: bool) -> bool:
        return self._set(api_key, hmac_only=hmac_only)

    def _set(self, api_key: str, **values: bool) -> bool:
        with self._db.write() as conn:
            result = conn.execute(
                update(accounts).where(accounts.c.api_key == api_key, _LIVE).values(**values)
            )
        self._changed(api_key)
        return result.rowcount == 1


@contextmanager
def _unique_name(name: str) -> Iterator[None]:
    """The unique index's refusal, as the domain's error."""
    try:
        yield
    except IntegrityError as refused:
        if not any(index in str(refused.orig) for index in ("accounts.name", "live_name")):
            raise
        raise NameTaken(name) from None
