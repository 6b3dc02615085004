"""Use cases on reader statistics and the upload quota."""

from __future__ import annotations

from dataclasses import dataclass

from flipshelf.domain.accounts import Account
from flipshelf.domain.quota import month_key, uploads_left
from flipshelf.domain.series import Period, Point, bounded, series
from flipshelf.domain.stats import DateRange, Totals
from flipshelf.services.collections import find_owned
from flipshelf.services.ports import Ports


@dataclass(frozen=True)
class AccountFigures:
    totals: Totals
    uploads_left: int


def collection_stats(
    ports: Ports, account: Account, collection_hash: str, days: DateRange, with_pages: bool
) -> Totals:
    collection = find_owned(ports, account, collection_hash)
    return ports.stats.totals([collection.id], days, with_pages)


def account_stats(ports: Ports, account: Account, uploads_per_month: int) -> AccountFigures:
    ids = ports.collections.ids_of_account(account.id)
    totals = ports.stats.totals(ids, DateRange(None, None), with_pages=False)
    used = ports.quota.used(account.id, month_key(ports.clock.now()))
    return AccountFigures(totals, uploads_left(uploads_per_month, used))


@dataclass(frozen=True)
class Chart:
    """Figures over time for the dashboard: the buckets of a range and the range's totals,
    which are exactly what getStats answers for the same startDate and endDate."""

    period: Period
    span: DateRange
    points: list[Point]
    totals: Totals


def _chart(
    ports: Ports, collection_ids: list[int], period: Period, span: DateRange, with_pages: bool
) -> Chart:
    bounded(span)  # refused before anything is read
    days = ports.stats.daily(collection_ids, span)
    totals = ports.stats.totals(collection_ids, span, with_pages)
    return Chart(period, span, series(days, period, span), totals)


def collection_chart(
    ports: Ports, account: Account, collection_hash: str, period: Period, span: DateRange
) -> Chart:
    collection = find_owned(ports, account, collection_hash)
    return _chart(ports, [collection.id], period, span, with_pages=True)


def account_chart(ports: Ports, account: Account, period: Period, span: DateRange) -> Chart:
    """Every collection the account ever had, as user.getStats counts them."""
    ids = ports.collections.ids_of_account(account.id)
    return _chart(ports, ids, period, span, with_pages=False)
