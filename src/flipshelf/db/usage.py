"""What each account holds, for `flipshelf usage`: collections, books and their pages, uploads
counted this month, and the hashes whose stored files the caller sizes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, select

from flipshelf.db.database import Database
from flipshelf.db.schema import accounts, collections, flipbooks, upload_counters
from flipshelf.domain.collections import ConvertStatus
from flipshelf.domain.usage import AccountHoldings


class SqlHoldings:
    def __init__(self, db: Database) -> None:
        self._db = db

    def of_accounts(self, month: str, api_key: str | None = None) -> list[AccountHoldings]:
        return holdings(self._db, month, api_key)


def holdings(db: Database, month: str, api_key: str | None = None) -> list[AccountHoldings]:
    """Per account not deleted (or the one with `api_key`), in the order they were made."""
    chosen = select(accounts.c.id, accounts.c.name, accounts.c.api_key, upload_counters.c.used)
    chosen = chosen.outerjoin(
        upload_counters,
        and_(upload_counters.c.account_id == accounts.c.id, upload_counters.c.month == month),
    ).where(accounts.c.deleted_at.is_(None))
    if api_key is not None:
        chosen = chosen.where(accounts.c.api_key == api_key)
    items = (
        select(
            collections.c.account_id,
            collections.c.hash.label("collection_hash"),
            collections.c.deleted_at,
            flipbooks.c.hash.label("flipbook_hash"),
            flipbooks.c.page_count,
            flipbooks.c.convert_status,
        )
        .outerjoin(flipbooks, flipbooks.c.collection_id == collections.c.id)
        .order_by(collections.c.id, flipbooks.c.position)
    )
    with db.read() as conn:
        owners = conn.execute(chosen.order_by(accounts.c.id)).all()
        ids = [owner.id for owner in owners]
        rows = conn.execute(items.where(collections.c.account_id.in_(ids))).all() if ids else []
    by_owner: dict[int, list[Any]] = {}
    for row in rows:
        by_owner.setdefault(row.account_id, []).append(row)
    return [_holdings(owner, by_owner.get(owner.id, [])) for owner in owners]


def _holdings(owner: Any, rows: list[Any]) -> AccountHoldings:
    live = [row for row in rows if row.deleted_at is None]
    complete = ConvertStatus.COMPLETE.value
    return AccountHoldings(
        account_id=owner.id,
        name=owner.name,
        api_key=owner.api_key,
        collections=len({row.collection_hash for row in live}),
        flipbooks=sum(1 for row in live if row.flipbook_hash is not None),
        pages=sum(row.page_count or 0 for row in live if row.convert_status == complete),
        uploads_this_month=int(owner.used or 0),
        collection_hashes=tuple(dict.fromkeys(row.collection_hash for row in rows)),
        flipbook_hashes=tuple(row.flipbook_hash for row in rows if row.flipbook_hash),
    )
