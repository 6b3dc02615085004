"""Statistics over time (domain/series.py): buckets of days, weeks and months whose sums are
exactly the range's totals; and the order rules of a collection's books."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flipshelf.domain.collections import check_order, moved
from flipshelf.domain.errors import BadRequest
from flipshelf.domain.series import (
    MAX_SPAN_DAYS,
    DayFigures,
    Period,
    Point,
    bucket_start,
    default_span,
    parse_period,
    series,
)
from flipshelf.domain.stats import DateRange


def test_weeks_start_on_monday_and_months_on_the_first() -> None:
    wednesday = date(2026, 11, 25)
    assert bucket_start(wednesday, Period.WEEK) == date(2026, 11, 23)
    assert bucket_start(wednesday, Period.MONTH) == date(2026, 11, 1)
    assert bucket_start(wednesday, Period.DAY) == wednesday


def test_every_day_of_the_range_gets_a_point_even_without_figures() -> None:
    span = DateRange(date(2026, 11, 1), date(2026, 11, 3))
    points = series([DayFigures(date(2026, 11, 2), impressions=4)], Period.DAY, span)
    assert points == [
        Point(date(2026, 11, 1)),
        Point(date(2026, 11, 2), impressions=4),
        Point(date(2026, 11, 3)),
    ]


def test_the_first_week_and_month_start_at_the_range_not_before_it() -> None:
    span = DateRange(date(2026, 11, 25), date(2027, 1, 10))
    weeks = series([], Period.WEEK, span)
    assert weeks[0].day == date(2026, 11, 25) and weeks[1].day == date(2026, 11, 30)
    months = series([], Period.MONTH, span)
    assert [p.day for p in months] == [date(2026, 11, 25), date(2026, 12, 1), date(2027, 1, 1)]


def test_days_outside_the_range_are_left_out() -> None:
    span = DateRange(date(2026, 11, 2), date(2026, 11, 2))
    days = [DayFigures(date(2026, 11, 1), views=5), DayFigures(date(2026, 11, 2), views=1)]
    assert series(days, Period.MONTH, span) == [Point(date(2026, 11, 2), views=1)]


days_strategy = st.lists(
    st.builds(
        DayFigures,
        day=st.dates(date(2025, 1, 1), date(2027, 12, 31)),
        impressions=st.integers(0, 1000),
        views=st.integers(0, 1000),
        time_spent=st.integers(0, 100_000),
        downloads=st.integers(0, 100),
    ),
    max_size=60,
    unique_by=lambda d: d.day,
)


@given(
    days=days_strategy,
    period=st.sampled_from(list(Period)),
    start=st.dates(date(2025, 1, 1), date(2027, 12, 31)),
    length=st.integers(0, 800),
)
def test_buckets_add_up_to_the_totals_of_the_range(
    days: list[DayFigures], period: Period, start: date, length: int
) -> None:
    end = start + timedelta(days=length)
    points = series(days, period, DateRange(start, end))
    inside = [d for d in days if start <= d.day <= end]
    for field in ("impressions", "views", "time_spent", "downloads"):
        assert sum(getattr(p, field) for p in points) == sum(getattr(d, field) for d in inside)
    assert [p.day for p in points] == sorted({p.day for p in points})
    assert points[0].day == start and all(start <= p.day <= end for p in points)


def test_default_ranges_end_today() -> None:
    today = date(2026, 11, 25)
    assert default_span(Period.DAY, today) == DateRange(date(2026, 10, 27), today)
    assert default_span(Period.WEEK, today) == DateRange(date(2026, 9, 7), today)
    assert default_span(Period.MONTH, today) == DateRange(date(2025, 12, 1), today)
    assert len(series([], Period.MONTH, default_span(Period.MONTH, today))) == 12


def test_unbounded_or_too_long_ranges_are_refused() -> None:
    with pytest.raises(BadRequest):
        series([], Period.DAY, DateRange(None, date(2026, 1, 1)))
    start = date(2000, 1, 1)
    with pytest.raises(BadRequest):
        series([], Period.DAY, DateRange(start, start + timedelta(days=MAX_SPAN_DAYS)))
    assert len(series([], Period.DAY, DateRange(start, start + timedelta(MAX_SPAN_DAYS - 1)))) == (
        MAX_SPAN_DAYS
    )


def test_periods_parse_or_are_refused() -> None:
    assert parse_period(None) is Period.DAY and parse_period("month") is Period.MONTH
    with pytest.raises(BadRequest):
        parse_period("year")


def test_moving_a_book_stops_at_either_end() -> None:
    order = ["a", "b", "c"]
    assert moved(order, "c", -1) == ["a", "c", "b"]
    assert moved(order, "a", -1) == ["a", "b", "c"]
    assert moved(order, "a", 1) == ["b", "a", "c"]
    assert moved(order, "b", 5) == ["a", "c", "b"]
    with pytest.raises(BadRequest):
        moved(order, "z", 1)


@pytest.mark.parametrize("wanted", [["a", "b"], ["a", "b", "b"], ["a", "b", "c", "d"], []])
def test_a_new_order_names_every_book_once(wanted: list[str]) -> None:
    with pytest.raises(BadRequest):
        check_order(["a", "b", "c"], wanted)
    assert check_order(["a", "b", "c"], ["c", "a", "b"]) == ["c", "a", "b"]
