"""collection.getStats and user.getStats."""

from __future__ import annotations

from flipshelf.api.v1.call import Call, Data
from flipshelf.api.v1.presenters import totals_view
from flipshelf.domain.embed import parse_flag
from flipshelf.domain.stats import parse_range
from flipshelf.services import stats


def collection_stats(call: Call) -> Data:
    collection_hash = call.required("collectionHash")
    days = parse_range(call.optional("startDate"), call.optional("endDate"))
    with_pages = parse_flag("includePageStats", call.optional("includePageStats"))
    totals = stats.collection_stats(call.ports, call.account, collection_hash, days, with_pages)
    return totals_view(totals, with_pages)


def user_stats(call: Call) -> Data:
    figures = stats.account_stats(call.ports, call.account, call.limits.uploads_per_month)
    view = totals_view(figures.totals, with_pages=False)
    view["api_uploads_left"] = figures.uploads_left
    return view
