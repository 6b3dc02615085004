"""Reader statistics over time, for the dashboard's charts: per-day counters summed into days,
ISO weeks or calendar months over a bounded range of UTC days.

Every bucket covers only the days of the range, so the buckets of a range add up exactly to what
`collection.getStats` answers for the same startDate and endDate.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from flipshelf.domain.errors import BadRequest
from flipshelf.domain.stats import DateRange

# About ten years of days: a chart of more points says nothing more and costs a lot to draw.
MAX_SPAN_DAYS = 3660
DEFAULT_BUCKETS = {"day": 30, "week": 12, "month": 12}


class Period(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


@dataclass(frozen=True)
class DayFigures:
    """The counters of one day, or of one bucket of days starting at `day` (a chart's point:
    its first day, clipped to the range)."""

    day: date
    impressions: int = 0
    views: int = 0
    time_spent: int = 0
    downloads: int = 0


Point = DayFigures


def parse_period(value: str | None) -> Period:
    try:
        return Period(value) if value else Period.DAY
    except ValueError:
        raise BadRequest("the period is day, week or month") from None


def bucket_start(day: date, period: Period) -> date:
    if period is Period.WEEK:
        return day - timedelta(days=day.weekday())  # ISO weeks start on Monday
    if period is Period.MONTH:
        return day.replace(day=1)
    return day


def _next_bucket(start: date, period: Period) -> date:
    if period is Period.WEEK:
        return start + timedelta(days=7)
    if period is Period.MONTH:
        return (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    return start + timedelta(days=1)


def default_span(period: Period, today: date) -> DateRange:
    """The last few buckets up to today: 30 days, 12 weeks or 12 months."""
    start = bucket_start(today, period)
    for _ in range(DEFAULT_BUCKETS[period.value] - 1):
        start = bucket_start(start - timedelta(days=1), period)
    return DateRange(start, today)


def bounded(span: DateRange) -> tuple[date, date]:
    if span.start is None or span.end is None:
        raise BadRequest("a chart needs a first and a last day")
    if (span.end - span.start).days + 1 > MAX_SPAN_DAYS:
        raise BadRequest(f"a chart covers at most {MAX_SPAN_DAYS} days")
    return span.start, span.end


def series(days: Iterable[DayFigures], period: Period, span: DateRange) -> list[Point]:
    """Every bucket of the range in order, empty ones as zeros; days outside are ignored."""
    first, last = bounded(span)
    sums: dict[date, list[int]] = {}
    start = bucket_start(first, period)
    while start <= last:
        sums[max(start, first)] = [0, 0, 0, 0]
        start = _next_bucket(start, period)
    for figures in days:
        if not first <= figures.day <= last:
            continue
        row = sums[max(bucket_start(figures.day, period), first)]
        row[0] += figures.impressions
        row[1] += figures.views
        row[2] += figures.time_spent
        row[3] += figures.downloads
    return [Point(start, *row) for start, row in sums.items()]
