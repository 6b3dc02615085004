"""Reader statistics, kept as per-day counters per collection (and per page)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Connection, Table, delete, func, select, update

from flipshelf.db.database import Database
from flipshelf.db.schema import page_stats_days, reader_sessions, stats_days
from flipshelf.db.upsert import conflict_insert
from flipshelf.domain.events import SessionKey, Tally
from flipshelf.domain.series import DayFigures
from flipshelf.domain.stats import DateRange, PageFigures, Totals


def _within(table: Table, collection_ids: list[int], days: DateRange) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [table.c.collection_id.in_(collection_ids)]
    if days.start is not None:
        conditions.append(table.c.day >= days.start)
    if days.end is not None:
        conditions.append(table.c.day <= days.end)
    return conditions


def _sum(column: Any) -> Any:
    return func.coalesce(func.sum(column), 0)


def _sums() -> list[Any]:
    """The four counters of `stats_days`, summed, under their own names."""
    t = stats_days
    return [
        _sum(t.c[name]).label(name) for name in ("impressions", "views", "time_spent", "downloads")
    ]


class SqlStats:
    def __init__(self, db: Database) -> None:
        self._db = db

    def totals(self, collection_ids: list[int], days: DateRange, with_pages: bool) -> Totals:
        if not collection_ids:
            return Totals()
        t = stats_days
        with self._db.read() as conn:
            row = conn.execute(select(*_sums()).where(*_within(t, collection_ids, days))).one()
            pages = self._pages(conn, collection_ids, days) if with_pages else ()
        return Totals(
            impressions=int(row.impressions),
            views=int(row.views),
            time_spent=int(row.time_spent),
            downloads=int(row.downloads),
            pages=pages,
        )

    def daily(self, collection_ids: list[int], days: DateRange) -> list[DayFigures]:
        """The counters of each day of the range that has any, summed over the collections."""
        if not collection_ids:
            return []
        t = stats_days
        with self._db.read() as conn:
            rows = conn.execute(
                select(t.c.day, *_sums())
                .where(*_within(t, collection_ids, days))
                .group_by(t.c.day)
                .order_by(t.c.day)
            ).all()
        return [
            DayFigures(r.day, int(r.impressions), int(r.views), int(r.time_spent), int(r.downloads))
            for r in rows
        ]

    def record(
        self,
        collection_id: int,
        session: str,
        key: SessionKey,
        day: date,
        rule: Callable[[int | None], Tally],
    ) -> Tally:
        """Counts one reader event, once: in one transaction, claims the session's row for
        `key` (or locks the existing one), asks `rule` what the event adds given what the session
        counted before, and adds it to the day counters. The same event sent twice, or at once to
        two processes, finds the row of the first and counts nothing more."""
        r = reader_sessions
        ident = {
            "session": session,
            "collection_id": collection_id,
            "kind": key.kind.value,
            "flipbook": key.flipbook,
            "page": key.page,
        }
        where = [r.c[name] == value for name, value in ident.items()]
        with self._db.write() as conn:
            claim = (
                conflict_insert(conn, r).values(**ident, day=day, amount=0).on_conflict_do_nothing()
            )
            # RETURNING, not rowcount: a row back means this event made the claim.
            claimed = conn.execute(claim.returning(r.c.amount)).first() is not None
            before: int | None = None
            if not claimed:
                # FOR UPDATE: a concurrent event of the same key waits here on PostgreSQL;
                # SQLite's write transactions are serialized already.
                before = conn.execute(
                    select(r.c.amount).where(*where).with_for_update()
                ).scalar_one()
            added = rule(before)
            if added.amount != (before or 0):
                conn.execute(update(r).where(*where).values(amount=added.amount))
            _bump(conn, stats_days, {"collection_id": collection_id, "day": day}, added.collection)
            if added.page is not None:
                page_key = {"collection_id": collection_id, "day": day, "page": added.page}
                _bump(conn, page_stats_days, page_key, added.page_counts)
        return added

    def forget_sessions_before(self, day: date) -> int:
        """Drops what sessions first counted before `day`; the day counters stay."""
        with self._db.write() as conn:
            return conn.execute(delete(reader_sessions).where(reader_sessions.c.day < day)).rowcount

    @staticmethod
    def _pages(conn: Any, collection_ids: list[int], days: DateRange) -> tuple[PageFigures, ...]:
        p = page_stats_days
        rows = conn.execute(
            select(
                p.c.page,
                _sum(p.c.time_spent).label("time_spent"),
                _sum(p.c.clicks).label("clicks"),
                _sum(p.c.views).label("views"),
            )
            .where(*_within(p, collection_ids, days))
            .group_by(p.c.page)
            .order_by(p.c.page)
        )
        return tuple(
            PageFigures(int(r.page), int(r.time_spent), int(r.clicks), int(r.views)) for r in rows
        )


def _bump(conn: Connection, table: Table, key: dict[str, Any], counts: dict[str, int]) -> None:
    """Adds to a per-day counter row, creating it the first time, in one atomic statement."""
    if not counts:
        return
    statement = conflict_insert(conn, table).values(**key, **counts)
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=list(key),
            set_={name: table.c[name] + statement.excluded[name] for name in counts},
        )
    )


class SqlStatsWriter:
    """Adds to the day counters directly (tests and imports); readers' events go through
    `SqlStats.record`, which also remembers what each session counted."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def add_day(self, collection_id: int, day: date, counts: dict[str, int]) -> None:
        with self._db.write() as conn:
            _bump(conn, stats_days, {"collection_id": collection_id, "day": day}, counts)

    def add_page(self, collection_id: int, day: date, page: int, counts: dict[str, int]) -> None:
        key = {"collection_id": collection_id, "day": day, "page": page}
        with self._db.write() as conn:
            _bump(conn, page_stats_days, key, counts)
