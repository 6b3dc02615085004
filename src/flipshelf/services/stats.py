"""Use cases on reader statistics and the upload quota."""

from __future__ import annotations

from dataclasses import dataclass

from flipshelf.domain.accounts import Account
from flipshelf.domain.quota import month_key, uploads_left
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
