"""collection.getStats and user.getStats over the stats store."""

from __future__ import annotations

from datetime import date

from flipshelf.db.stats import SqlStatsWriter
from flipshelf.runtime import Runtime
from tests.conftest import Api
from tests.support import new_tenant, seed_collection


def test_stats_are_zero_until_readers_are_counted(api: Api, runtime: Runtime) -> None:
    collection = seed_collection(runtime, api.tenant)
    body = api.get("collection.getStats", collectionHash=collection.hash)
    assert body["data"] == {"impressions": 0, "views": 0, "time_spent": 0, "downloads": 0}
    user = api.get("user.getStats")["data"]
    assert user == {
        "impressions": 0,
        "views": 0,
        "time_spent": 0,
        "downloads": 0,
        "api_uploads_left": 1000,
    }


def test_stats_sum_days_within_the_range(api: Api, runtime: Runtime) -> None:
    collection = seed_collection(runtime, api.tenant)
    other = seed_collection(runtime, api.tenant)
    foreign = seed_collection(runtime, new_tenant(runtime, "other"))
    writer = SqlStatsWriter(runtime.db)
    for day, n in ((date(2026, 11, 1), 1), (date(2026, 11, 2), 10), (date(2026, 11, 3), 100)):
        writer.add_day(collection.id, day, {"impressions": n, "views": n, "time_spent": 3 * n})
        writer.add_page(collection.id, day, 1, {"views": n, "time_spent": n, "clicks": 1})
        writer.add_page(collection.id, day, 2, {"views": 1, "time_spent": 2, "clicks": 0})
    writer.add_day(other.id, date(2026, 11, 2), {"impressions": 5, "downloads": 2})
    writer.add_day(foreign.id, date(2026, 11, 2), {"impressions": 1000})

    everything = api.get("collection.getStats", collectionHash=collection.hash)["data"]
    assert everything == {"impressions": 111, "views": 111, "time_spent": 333, "downloads": 0}

    window = api.get(
        "collection.getStats",
        collectionHash=collection.hash,
        startDate="2026-11-02",
        endDate="2026-11-02",
        includePageStats="true",
    )
    assert window["data"] == {
        "impressions": 10,
        "views": 10,
        "time_spent": 30,
        "downloads": 0,
        "pages": [
            {"page": 1, "time_spent": 10, "clicks": 1, "views": 10},
            {"page": 2, "time_spent": 2, "clicks": 0, "views": 1},
        ],
    }
    since = api.get("collection.getStats", collectionHash=collection.hash, startDate="2026-11-02")[
        "data"
    ]
    assert since["impressions"] == 110

    user = api.get("user.getStats")["data"]
    assert user["impressions"] == 116 and user["downloads"] == 2


def test_bad_dates_answer_40(api: Api, runtime: Runtime) -> None:
    collection = seed_collection(runtime, api.tenant)
    for params in (
        {"startDate": "2026-13-01"},
        {"endDate": "yesterday"},
        {"startDate": "2026-11-05", "endDate": "2026-11-04"},
        {"startDate": "2026-1-5"},
        {"includePageStats": "maybe"},
    ):
        body = api.get("collection.getStats", collectionHash=collection.hash, **params)
        assert body["code"] == 40, params


def test_uploads_left_follows_the_monthly_quota(api: Api, runtime: Runtime) -> None:
    from flipshelf.domain.quota import month_key

    month = month_key(runtime.ports.clock.now())
    for _ in range(3):
        assert runtime.ports.quota.charge(api.tenant.account.id, month, 1000)
    assert api.get("user.getStats")["data"]["api_uploads_left"] == 997
    runtime.ports.quota.charge(api.tenant.account.id, "2026-10", 1000)  # last month
    assert api.get("user.getStats")["data"]["api_uploads_left"] == 997
