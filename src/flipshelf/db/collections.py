"""Queries on collections and their flipbooks."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Select, bindparam, delete, func, insert, or_, select, update

from flipshelf.db.database import Database
from flipshelf.db.prepared import Query, Snapshot
from flipshelf.db.schema import collections, flipbooks
from flipshelf.domain.collections import (
    Collection,
    CollectionChanges,
    CollectionStatus,
    ConvertStatus,
    Flipbook,
    NewCollection,
    NewFlipbook,
    check_order,
)
from flipshelf.domain.errors import BadRequest, CollectionProcessing, LastFlipbook
from flipshelf.domain.layout import ImageRole
from flipshelf.domain.listing import ListQuery, OrderBy, OrderMode
from flipshelf.domain.webhooks import EventKind

if TYPE_CHECKING:
    from flipshelf.db.outbox import Outbox


def _flipbook(row: Any) -> Flipbook:
    return Flipbook(
        id=row.id,
        hash=row.hash,
        collection_id=row.collection_id,
        position=row.position,
        title=row.title,
        extension=row.extension,
        convert_status=ConvertStatus(row.convert_status),
        convert_error=row.convert_error,
        page_count=row.page_count,
        pages_ready=row.pages_ready,
        created_at=row.created_at,
        failed_pages=row.failed_pages or (),
    )


def _collection(row: Any, items: Iterable[Flipbook] = ()) -> Collection:
    return Collection(
        id=row.id,
        hash=row.hash,
        account_id=row.account_id,
        title=row.title,
        description=row.description,
        status=CollectionStatus(row.status),
        width=row.width,
        height=row.height,
        logo_key=row.logo_key,
        background_key=row.background_key,
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
        deleted_at=row.deleted_at,
        rtl=bool(row.rtl),
        items=tuple(items),
    )


# The read behind getCollection, getEmbed and every owned-collection check: prepared once.
_BY_HASH = Query(select(collections).where(collections.c.hash == bindparam("hash")))
_ITEMS = Query(
    select(flipbooks)
    .where(flipbooks.c.collection_id == bindparam("collection_id"))
    .order_by(flipbooks.c.position)
)


def _items_of(conn: Connection, collection_ids: list[int]) -> dict[int, list[Flipbook]]:
    found: dict[int, list[Flipbook]] = defaultdict(list)
    if not collection_ids:
        return found
    # One id is the common case: plain `=` spares the expanding IN its per-call compile.
    chosen = (
        flipbooks.c.collection_id == collection_ids[0]
        if len(collection_ids) == 1
        else flipbooks.c.collection_id.in_(collection_ids)
    )
    rows = conn.execute(
        select(flipbooks).where(chosen).order_by(flipbooks.c.collection_id, flipbooks.c.position)
    )
    for row in rows:
        found[row.collection_id].append(_flipbook(row))
    return found


def load_collection(conn: Connection, collection_id: int) -> Collection:
    """The collection with its items, read in the caller's transaction."""
    row = conn.execute(select(collections).where(collections.c.id == collection_id)).one()
    return _collection(row, _items_of(conn, [collection_id])[collection_id])


_load = load_collection


def _bump(collection_id: int, now: datetime, **values: Any) -> Any:
    """Every change bumps the version: packages and caches key on it."""
    return (
        update(collections)
        .where(collections.c.id == collection_id)
        .values(version=collections.c.version + 1, updated_at=now, **values)
    )


def _refuse_while_processing(conn: Connection, collection_id: int) -> None:
    busy = conn.execute(
        select(func.count())
        .select_from(flipbooks)
        .where(
            flipbooks.c.collection_id == collection_id,
            flipbooks.c.convert_status == ConvertStatus.PROCESSING.value,
        )
    ).scalar_one()
    if busy:
        raise CollectionProcessing("an item of the collection is converting")


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _filtered(account_id: int, query: ListQuery) -> Select[Any]:
    chosen = select(collections).where(
        collections.c.account_id == account_id, collections.c.deleted_at.is_(None)
    )
    if query.status is not None:
        chosen = chosen.where(collections.c.status == query.status.value)
    if query.text:
        pattern = f"%{_escape_like(query.text.lower())}%"
        chosen = chosen.where(
            or_(
                func.lower(collections.c.title).like(pattern, escape="\\"),
                func.lower(collections.c.description).like(pattern, escape="\\"),
            )
        )
    return chosen


def _ordered(chosen: Select[Any], query: ListQuery) -> Select[Any]:
    key = (
        func.lower(collections.c.title)
        if query.order_by is OrderBy.TITLE
        else collections.c.created_at
    )
    if query.order_mode is OrderMode.DESC:
        return chosen.order_by(key.desc(), collections.c.id.desc())
    return chosen.order_by(key.asc(), collections.c.id.asc())


def _insert_collection(conn: Connection, new: NewCollection, now: datetime) -> int:
    inserted = conn.execute(
        insert(collections).values(
            hash=new.collection_hash,
            account_id=new.account_id,
            title=new.title,
            description=new.description,
            status=new.status.value,
            width=new.width,
            height=new.height,
            rtl=new.rtl,
            version=1,
            created_at=now,
            updated_at=now,
        )
    ).inserted_primary_key
    assert inserted is not None
    return int(inserted[0])


def _insert_flipbook(conn: Connection, collection_id: int, new: NewFlipbook, now: datetime) -> None:
    last = conn.execute(
        select(func.max(flipbooks.c.position)).where(flipbooks.c.collection_id == collection_id)
    ).scalar_one()
    complete = new.status is ConvertStatus.COMPLETE
    conn.execute(
        insert(flipbooks).values(
            hash=new.flipbook_hash,
            collection_id=collection_id,
            position=(last or 0) + 1,
            title=new.title,
            extension=new.extension,
            convert_status=new.status.value,
            page_count=new.page_count,
            pages_ready=(new.page_count or 0) if complete else 0,
            source_key=new.source_key,
            attempts=0,
            queued_at=now if new.status is ConvertStatus.PROCESSING else None,
            created_at=now,
        )
    )


def _read(collection_hash: str, snapshot: Snapshot) -> Collection | None:
    row = snapshot.first(_BY_HASH, hash=collection_hash)
    if row is None:
        return None
    items = snapshot.all(_ITEMS, collection_id=row.id)
    return _collection(row, map(_flipbook, items))


_IMAGE_COLUMNS = {ImageRole.LOGO: "logo_key", ImageRole.BACKGROUND: "background_key"}


class SqlCollections:
    def __init__(self, db: Database, outbox: Outbox | None = None) -> None:
        self._db = db
        self._outbox = outbox

    def get(self, collection_hash: str) -> Collection | None:
        """The collection with its items, deleted or not."""
        return self._db.memo(("collection", collection_hash), partial(_read, collection_hash))

    def add(self, new: NewCollection, now: datetime) -> Collection:
        with self._db.write() as conn:
            return _load(conn, _insert_collection(conn, new, now))

    def add_with_flipbook(self, new: NewCollection, item: NewFlipbook, now: datetime) -> Collection:
        """A new collection and its first item in one transaction: never one without the other."""
        with self._db.write() as conn:
            collection_id = _insert_collection(conn, new, now)
            _insert_flipbook(conn, collection_id, item, now)
            return _load(conn, collection_id)

    def add_flipbook(self, collection_id: int, item: NewFlipbook, now: datetime) -> Collection:
        with self._db.write() as conn:
            _insert_flipbook(conn, collection_id, item, now)
            conn.execute(_bump(collection_id, now))
            return _load(conn, collection_id)

    def update(self, collection_id: int, changes: CollectionChanges, now: datetime) -> Collection:
        values: dict[str, Any] = {}
        for column, value in (
            ("title", changes.title),
            ("description", changes.description),
            ("width", changes.width),
            ("height", changes.height),
            ("status", changes.status.value if changes.status else None),
            ("rtl", changes.rtl),
        ):
            if value is not None:
                values[column] = value
        with self._db.write() as conn:
            _refuse_while_processing(conn, collection_id)
            if values:
                conn.execute(_bump(collection_id, now, **values))
            return _load(conn, collection_id)

    def mark_deleted(self, collection_id: int, now: datetime) -> None:
        with self._db.write() as conn:
            conn.execute(_bump(collection_id, now, deleted_at=now))
            if self._outbox is not None:
                self._outbox.record(conn, collection_id, EventKind.COLLECTION_DELETED, now)

    def replace_image(
        self, collection_id: int, role: ImageRole, key: str | None, now: datetime
    ) -> tuple[Collection, str | None]:
        """Sets (or clears) the logo or background; answers the collection and the key it
        replaced."""
        column = _IMAGE_COLUMNS[role]
        with self._db.write() as conn:
            old = conn.execute(
                select(collections.c[column]).where(collections.c.id == collection_id)
            ).scalar_one()
            if old != key:
                conn.execute(_bump(collection_id, now, **{column: key}))
            return _load(conn, collection_id), old

    def delete_flipbook(self, collection_id: int, flipbook_hash: str, now: datetime) -> Flipbook:
        """Removes one item; never the last one (37). Answers the removed item."""
        with self._db.write() as conn:
            items = _items_of(conn, [collection_id])[collection_id]
            target = next((item for item in items if item.hash == flipbook_hash), None)
            if target is None:
                raise BadRequest("no such flipbook in this collection")
            if len(items) == 1:
                raise LastFlipbook("the last flipbook of a collection cannot be deleted")
            conn.execute(delete(flipbooks).where(flipbooks.c.id == target.id))
            conn.execute(_bump(collection_id, now))
            return target

    def reorder(self, collection_id: int, order: list[str], now: datetime) -> Collection:
        """Puts the books in `order` (every one of them, by hash); refused (40) when the books
        changed since the order was made."""
        with self._db.write() as conn:
            items = _items_of(conn, [collection_id])[collection_id]
            check_order([item.hash for item in items], order)
            ids = {item.hash: item.id for item in items}
            for position, flipbook_hash in enumerate(order, start=1):
                conn.execute(
                    update(flipbooks)
                    .where(flipbooks.c.id == ids[flipbook_hash])
                    .values(position=position)
                )
            conn.execute(_bump(collection_id, now))
            return _load(conn, collection_id)

    def search(self, account_id: int, query: ListQuery) -> tuple[int, list[Collection]]:
        chosen = _filtered(account_id, query)
        with self._db.read() as conn:
            total = conn.execute(select(func.count()).select_from(chosen.subquery())).scalar_one()
            rows = conn.execute(
                _ordered(chosen, query).offset(query.offset).limit(query.limit)
            ).all()
            items = _items_of(conn, [row.id for row in rows])
        return int(total), [_collection(row, items[row.id]) for row in rows]

    def of_flipbook(self, flipbook_hash: str) -> Collection | None:
        """The collection holding a flipbook (with all its items), for serving its files."""
        with self._db.read() as conn:
            collection_id = conn.execute(
                select(flipbooks.c.collection_id).where(flipbooks.c.hash == flipbook_hash)
            ).scalar_one_or_none()
            return None if collection_id is None else _load(conn, collection_id)

    def live_of_account(self, account_id: int) -> list[str]:
        """The hashes of the account's collections not deleted."""
        with self._db.read() as conn:
            rows = conn.execute(
                select(collections.c.hash)
                .where(collections.c.account_id == account_id, collections.c.deleted_at.is_(None))
                .order_by(collections.c.id)
            )
            return [row.hash for row in rows]

    def ids_of_account(self, account_id: int) -> list[int]:
        with self._db.read() as conn:
            rows = conn.execute(
                select(collections.c.id).where(collections.c.account_id == account_id)
            )
            return [row.id for row in rows]
