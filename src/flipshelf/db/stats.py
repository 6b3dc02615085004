"""Reader statistics, kept as per-day counters per collection (and per page)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Table, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from flipshelf.db.database import Database
from flipshelf.db.schema import page_stats_days, stats_days
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


class SqlStats:
    def __init__(self, db: Database) -> None:
        self._db = db

    def totals(self, collection_ids: list[int], days: DateRange, with_pages: bool) -> Totals:
        if not collection_ids:
            return Totals()
        t = stats_days
        with self._db.read() as conn:
            row = conn.execute(
                select(
                    _sum(t.c.impressions).label("impressions"),
                    _sum(t.c.views).label("views"),
                    _sum(t.c.time_spent).label("time_spent"),
                    _sum(t.c.downloads).label("downloads"),
                ).where(*_within(t, collection_ids, days))
            ).one()
            pages = self._pages(conn, collection_ids, days) if with_pages else ()
        return Totals(
            impressions=int(row.impressions),
            views=int(row.views),
            time_spent=int(row.time_spent),
            downloads=int(row.downloads),
            pages=pages,
        )

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


def _add(db: Database, table: Table, key: dict[str, Any], counts: dict[str, int]) -> None:
    """Adds to a per-day counter row, creating it the first time (portable upsert)."""
    where = [table.c[name] == value for name, value in key.items()]
    increments = {name: table.c[name] + amount for name, amount in counts.items()}
    for _attempt in range(3):
        try:
            with db.write() as conn:
                if conn.execute(update(table).where(*where).values(**increments)).rowcount:
                    return
                conn.execute(insert(table).values(**key, **counts))
                return
        except IntegrityError:
            continue  # another writer created the row first: add to it
    raise RuntimeError("could not record statistics after 3 attempts")


class SqlStatsWriter:
    """Counting what readers do; the player's events end up here."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def add_day(self, collection_id: int, day: date, counts: dict[str, int]) -> None:
        _add(self._db, stats_days, {"collection_id": collection_id, "day": day}, counts)

    def add_page(self, collection_id: int, day: date, page: int, counts: dict[str, int]) -> None:
        key = {"collection_id": collection_id, "day": day, "page": page}
        _add(self._db, page_stats_days, key, counts)
