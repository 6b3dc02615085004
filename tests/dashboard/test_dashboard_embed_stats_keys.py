"""Embedding, statistics and API keys in the dashboard, checked against the v1 API: the same
embed code as getEmbed, the same figures as getStats, a rotated secret the API refuses."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from flipshelf.db.stats import SqlStatsWriter
from flipshelf.domain.access import LinkCheck
from flipshelf.domain.collections import Collection, CollectionStatus, ConvertStatus
from flipshelf.runtime import Runtime
from tests.conftest import Api
from tests.dashboard.conftest import Browser
from tests.support import FixedClock, Tenant, seed_collection, signed


@pytest.fixture
def shelf(runtime: Runtime, tenant: Tenant) -> Collection:
    return seed_collection(runtime, tenant, title="Shelf")


def shown_code(page: str) -> str:
    found = re.search(r"<textarea id=\"embed-code\"[^>]*>(.*?)</textarea>", page, re.S)
    assert found is not None
    return html.unescape(found.group(1))


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"width": "350", "height": "250"},
        {"responsive": "true", "startBook": "2", "startPage": "7"},
        {"https": "true", "width": "1000", "height": "700"},
    ],
)
def test_the_embed_code_is_get_embeds(
    owner: Browser, api: Api, shelf: Collection, options: dict[str, str]
) -> None:
    expected = api.get("collection.getEmbed", collectionHash=shelf.hash, **options)["data"]
    query = "&".join(f"{k}={v}" for k, v in options.items())
    page = owner.get(f"/dashboard/c/{shelf.hash}/embed?{query}")
    assert page.status_code == 200
    assert shown_code(page.text) == expected["embedCode"]
    live = owner.get(f"/dashboard/c/{shelf.hash}/embed.json?{query}").json()
    assert live["code"] == expected["embedCode"]
    preview = owner.get(live["preview"])
    assert preview.text.count(expected["embedCode"]) == 1  # exactly the code, once
    assert re.fullmatch(r"<!doctype html>.*<body>(.*)</body></html>", preview.text, re.S)


def test_a_size_preset_is_the_same_as_its_width_and_height(
    owner: Browser, api: Api, shelf: Collection
) -> None:
    expected = api.get("collection.getEmbed", collectionHash=shelf.hash, width="800", height="600")[
        "data"
    ]["embedCode"]
    live = owner.get(f"/dashboard/c/{shelf.hash}/embed.json?preset=800x600").json()
    assert live["code"] == expected


def test_bad_embed_options_say_why_and_keep_a_working_code(
    owner: Browser, api: Api, shelf: Collection
) -> None:
    page = owner.get(f"/dashboard/c/{shelf.hash}/embed?width=wide")
    assert page.status_code == 400 and "width must be a positive whole number" in page.text
    default = api.get("collection.getEmbed", collectionHash=shelf.hash)["data"]["embedCode"]
    assert shown_code(page.text) == default
    refused = owner.get(f"/dashboard/c/{shelf.hash}/embed.json?startPage=0")
    assert refused.status_code == 400
    assert refused.json() == {"error": "startPage must be a whole number >= 1"}


def test_a_private_link_opens_the_private_player_until_it_expires(
    runtime: Runtime, owner: Browser, tenant: Tenant
) -> None:
    secret = seed_collection(runtime, tenant, status=CollectionStatus.PRIVATE)
    page = owner.post(f"/dashboard/c/{secret.hash}/private-link", {"expiresIn": "3600"})
    assert page.status_code == 200
    found = re.search(r'id="private-link"[^>]*value="([^"]+)"', page.text)
    assert found is not None
    url = html.unescape(found.group(1))
    assert url.startswith(f"http://books.test/widget/{secret.hash}?")
    query = parse_qs(urlsplit(url).query)
    check = runtime.ports.collection_links.check(
        secret.hash, query["exp"][0], query["sig"][0], runtime.ports.clock.now()
    )
    assert check is LinkCheck.VALID
    widget = owner.client.get(urlsplit(url).path + "?" + urlsplit(url).query)
    assert widget.status_code == 200
    bad = owner.post(f"/dashboard/c/{secret.hash}/private-link", {"expiresIn": "10"})
    assert bad.status_code == 400 and "expiresIn must be from 60" in bad.text


def test_the_offline_package_is_built_once_and_waits_for_conversions(
    runtime: Runtime, owner: Browser, tenant: Tenant, shelf: Collection
) -> None:
    headers = {"x-csrf-token": owner.csrf}
    first = owner.client.post(f"/dashboard/c/{shelf.hash}/package", headers=headers)
    again = owner.client.post(f"/dashboard/c/{shelf.hash}/package", headers=headers)
    assert first.json()["status"] == again.json()["status"] == "PROCESSING"
    assert len(runtime.ports.queue.packages) == 1  # type: ignore[attr-defined]
    busy = seed_collection(runtime, tenant, items=(ConvertStatus.PROCESSING,))
    waiting = owner.client.post(f"/dashboard/c/{busy.hash}/package", headers=headers)
    assert waiting.status_code == 409 and "converting" in waiting.json()["error"]
    form = owner.post(f"/dashboard/c/{shelf.hash}/package/download")
    assert form.status_code == 200 and "Building the offline package" in form.text


def figures(page: str, attribute: str) -> dict[str, int]:
    return {
        name: int(value) for name, value in re.findall(rf'{attribute}="(\w+)">(\d+)</dd>', page)
    }


def seed_days(runtime: Runtime, collection: Collection, days: dict[date, int]) -> None:
    writer = SqlStatsWriter(runtime.db)
    for day, n in days.items():
        counts = {"impressions": 3 * n, "views": 2 * n, "time_spent": 10 * n, "downloads": n}
        writer.add_day(collection.id, day, counts)
        writer.add_page(collection.id, day, 1 + n % 3, {"views": n, "time_spent": 5 * n})


def test_chart_totals_are_get_stats_for_every_period_and_range(
    runtime: Runtime, owner: Browser, api: Api, shelf: Collection, clock: FixedClock
) -> None:
    today = clock.now().date()
    seed_days(runtime, shelf, {today - timedelta(days=d): d + 1 for d in range(0, 400, 9)})
    ranges = [
        {},
        {"startDate": (today - timedelta(days=100)).isoformat(), "endDate": today.isoformat()},
        {"startDate": "2025-01-01", "endDate": "2025-12-31"},
    ]
    for chosen in ranges:
        for period in ("day", "week", "month"):
            query = "&".join(f"{k}={v}" for k, v in {"period": period, **chosen}.items())
            page = owner.get(f"/dashboard/c/{shelf.hash}/stats?{query}")
            assert page.status_code == 200, page.text
            start = re.search(
                r'id="startDate" name="startDate" type="date" value="([^"]+)"', page.text
            )
            end = re.search(r'id="endDate" name="endDate" type="date" value="([^"]+)"', page.text)
            assert start and end
            expected = api.get(
                "collection.getStats",
                collectionHash=shelf.hash,
                startDate=start.group(1),
                endDate=end.group(1),
                includePageStats="true",
            )["data"]
            totals = figures(page.text, "data-total")
            assert totals == {k: expected[k] for k in totals}, (period, chosen)
            rows = re.findall(
                r'<tr><th scope="row">[\d-]+</th><td>(\d+)</td><td>(\d+)</td><td>(\d+)</td>'
                r"<td>(\d+)</td></tr>",
                page.text,
            )
            sums = [sum(int(r[i]) for r in rows) for i in range(4)]
            assert sums == [
                expected["impressions"],
                expected["views"],
                expected["time_spent"],
                expected["downloads"],
            ]
            pages = {
                int(n): (int(v), int(t))
                for n, v, t in re.findall(
                    r'<tr data-page="(\d+)"><th scope="row">\d+</th><td>(\d+)</td><td>(\d+)</td>',
                    page.text,
                )
            }
            assert pages == {p["page"]: (p["views"], p["time_spent"]) for p in expected["pages"]}


def test_the_account_page_shows_user_get_stats_for_all_time(
    runtime: Runtime, owner: Browser, api: Api, tenant: Tenant, shelf: Collection, clock: FixedClock
) -> None:
    other = seed_collection(runtime, tenant, title="Other")
    today = clock.now().date()
    seed_days(runtime, shelf, {today: 2, today - timedelta(days=800): 5})
    seed_days(runtime, other, {today - timedelta(days=3): 7})
    page = owner.get("/dashboard/stats")
    expected = api.get("user.getStats")["data"]
    assert figures(page.text, "data-figure") == expected
    in_range = figures(page.text, "data-total")
    assert in_range["impressions"] == 3 * (2 + 7)  # the last 30 days, both collections


def test_a_bad_range_falls_back_to_the_last_30_days_with_the_reason(
    owner: Browser, shelf: Collection
) -> None:
    for query, reason in [
        ("startDate=2026-13-01&endDate=2026-12-01", "startDate must be YYYY-MM-DD"),
        ("startDate=2026-02-01&endDate=2026-01-01", "startDate is after endDate"),
        ("period=year", "the period is day, week or month"),
        ("startDate=1990-01-01&endDate=2026-01-01", "a chart covers at most 3660 days"),
        ("startDate=2026-01-01", "a chart needs a first and a last day"),
    ]:
        page = owner.get(f"/dashboard/c/{shelf.hash}/stats?{query}")
        assert page.status_code == 400 and reason in page.text, query
        assert page.text.count('<tr><th scope="row">') == 30


def test_the_chart_data_block_cannot_end_its_script(
    runtime: Runtime, owner: Browser, tenant: Tenant
) -> None:
    hostile = seed_collection(runtime, tenant, title="</script><script>alert(1)</script>")
    page = owner.get(f"/dashboard/c/{hostile.hash}/stats").text
    block = re.search(r'<script type="application/json" id="ds-chart-data">(.*?)</script>', page)
    assert block is not None and "<" not in block.group(1)


def call(api: Api, secret: str) -> Any:
    pair = api.tenant.pair
    params = signed(type(pair)(pair.api_key, secret), "user.getStats")
    return api.client.get("/v1/", params=params).json()["code"]


def test_rotating_needs_confirmation_then_the_old_secret_answers_44(
    owner: Browser, api: Api, tenant: Tenant
) -> None:
    old = tenant.pair.secret
    kept = owner.post("/dashboard/keys/rotate")
    assert kept.status_code == 400 and "tick the box" in kept.text
    assert call(api, old) == 20
    page = owner.post("/dashboard/keys/rotate", {"confirm": "yes"})
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    found = re.search(r'id="new-secret"[^>]*value="([^"]+)"', page.text)
    assert found is not None
    new = html.unescape(found.group(1))
    assert call(api, old) == 44
    assert call(api, new) == 20
    assert new not in owner.get("/dashboard/keys").text  # shown once


def test_strict_mode_turns_on_and_off(runtime: Runtime, owner: Browser, tenant: Tenant) -> None:
    assert owner.post("/dashboard/keys/strict", {"strict": "on"}).status_code == 303
    account = runtime.ports.accounts.by_id(tenant.account.id)
    assert account is not None and account.strict
    page = owner.get("/dashboard/keys?done=strict-on")
    assert "Strict mode is on." in page.text and tenant.pair.api_key in page.text
    assert owner.post("/dashboard/keys/strict", {"strict": "off"}).status_code == 303
    account = runtime.ports.accounts.by_id(tenant.account.id)
    assert account is not None and not account.strict
    assert owner.post("/dashboard/keys/strict", {"strict": "maybe"}).status_code == 400
