"""getStats and user.getStats answer from events posted through `POST /events`, end to end:
readers on several days, then the signed API over date ranges and page statistics."""

from __future__ import annotations

import json
from typing import Any

from starlette.testclient import TestClient

from flipshelf.domain.collections import Collection, ConvertStatus
from flipshelf.runtime import Runtime
from tests.conftest import Api
from tests.support import FixedClock, new_tenant, seed_collection


def read(
    client: TestClient, collection: Collection, session: str, kind: str, **fields: Any
) -> None:
    values: dict[str, Any] = {"collection": collection.hash, "session": session, "type": kind}
    if kind in ("page", "click", "download"):
        values["flipbook"] = collection.items[0].hash
    values.update(fields)
    response = client.post(
        "/events", content=json.dumps(values), headers={"Content-Type": "text/plain"}
    )
    assert response.status_code == 204, response.text


def a_reading(client: TestClient, collection: Collection, session: str) -> None:
    """One reader: loads the player, turns to page 2, follows a link there, downloads."""
    read(client, collection, session, "impression")
    read(client, collection, session, "view")
    read(client, collection, session, "page", page=1, seconds=20)
    read(client, collection, session, "page", page=2, seconds=40)
    read(client, collection, session, "click", page=2)
    read(client, collection, session, "page", page=1, seconds=5)  # back to page 1
    read(client, collection, session, "download")
    read(client, collection, session, "download")  # twice: still one download


def test_get_stats_reports_recorded_events_over_date_ranges(
    client: TestClient, api: Api, runtime: Runtime, clock: FixedClock
) -> None:
    book = seed_collection(runtime, api.tenant)
    a_reading(client, book, "day1-reader-a")  # 2026-11-23
    a_reading(client, book, "day1-reader-b")
    clock.advance(days=1)  # 2026-11-24
    a_reading(client, book, "day2-reader-a")
    read(client, book, "day1-reader-a", "impression")  # yesterday's session: counted already
    clock.advance(days=2)  # 2026-11-26
    read(client, book, "day4-reader-a", "impression")

    def stats(**params: str) -> dict[str, Any]:
        body = api.get("collection.getStats", collectionHash=book.hash, **params)
        assert body["code"] == 20, body
        data: dict[str, Any] = body["data"]
        return data

    assert stats() == {"impressions": 4, "views": 3, "time_spent": 195, "downloads": 3}
    assert stats(startDate="2026-11-23", endDate="2026-11-23") == {
        "impressions": 2,
        "views": 2,
        "time_spent": 130,
        "downloads": 2,
    }
    assert stats(startDate="2026-11-24")["impressions"] == 2
    assert stats(endDate="2026-11-24")["impressions"] == 3
    assert stats(startDate="2026-11-25", endDate="2026-11-25")["impressions"] == 0
    assert stats(startDate="2026-11-24", endDate="2026-11-24", includePageStats="true") == {
        "impressions": 1,
        "views": 1,
        "time_spent": 65,
        "downloads": 1,
        "pages": [
            {"page": 1, "time_spent": 25, "clicks": 0, "views": 1},
            {"page": 2, "time_spent": 40, "clicks": 1, "views": 1},
        ],
    }
    assert stats(includePageStats="true")["pages"] == [
        {"page": 1, "time_spent": 75, "clicks": 0, "views": 3},
        {"page": 2, "time_spent": 120, "clicks": 3, "views": 3},
    ]
    assert "pages" not in stats(includePageStats="false")


def test_user_stats_sum_the_accounts_collections_only(
    client: TestClient, api: Api, runtime: Runtime
) -> None:
    first = seed_collection(runtime, api.tenant)
    second = seed_collection(runtime, api.tenant, items=(ConvertStatus.COMPLETE,) * 2)
    foreign = seed_collection(runtime, new_tenant(runtime, "someone else"))
    a_reading(client, first, "reader-one")
    a_reading(client, second, "reader-one")  # the same session reads both collections
    a_reading(client, second, "reader-two")
    a_reading(client, foreign, "reader-one")

    body = api.get("user.getStats")
    assert body["code"] == 20
    assert body["data"] == {
        "impressions": 3,
        "views": 3,
        "time_spent": 195,
        "downloads": 3,
        "api_uploads_left": 1000,
    }
    second_only = api.get("collection.getStats", collectionHash=second.hash)["data"]
    assert second_only["impressions"] == 2
    assert api.get("collection.getStats", collectionHash=foreign.hash)["code"] == 43
