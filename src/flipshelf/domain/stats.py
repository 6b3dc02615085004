"""Reader statistics: the figures getStats answers and the date range it covers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flipshelf.domain.errors import BadRequest


@dataclass(frozen=True)
class DateRange:
    """Inclusive UTC days; None on either side means unbounded (all time)."""

    start: date | None
    end: date | None


@dataclass(frozen=True)
class PageFigures:
    page: int
    time_spent: int
    clicks: int
    views: int


@dataclass(frozen=True)
class Totals:
    impressions: int = 0
    views: int = 0
    time_spent: int = 0
    downloads: int = 0
    pages: tuple[PageFigures, ...] = field(default=())


def parse_day(name: str, value: str) -> date:
    if len(value) != 10 or not value.isascii():
        raise BadRequest(f"{name} must be YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadRequest(f"{name} must be YYYY-MM-DD") from None


def parse_range(start: str | None, end: str | None) -> DateRange:
    first = parse_day("startDate", start) if start else None
    last = parse_day("endDate", end) if end else None
    if first and last and first > last:
        raise BadRequest("startDate is after endDate")
    return DateRange(first, last)
