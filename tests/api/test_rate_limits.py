"""Per-key moving windows, exact under concurrent requests."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from flipshelf.api.v1.ratelimit import RateLimiter
from flipshelf.app import create_app
from flipshelf.db.migrate import upgrade
from flipshelf.domain.errors import RatePerMinuteExceeded, RatePerSecondExceeded
from flipshelf.runtime import Runtime, build_runtime
from tests.conftest import make_settings
from tests.support import new_tenant, signed


@pytest.fixture
def limited(tmp_path: Path, database_url: str) -> Iterator[Runtime]:
    settings = make_settings(tmp_path, database_url, rate_per_second=5, rate_per_minute=60)
    upgrade(settings.resolved_database_url())
    runtime = build_runtime(settings)
    yield runtime
    runtime.db.dispose()


async def _burst(runtime: Runtime, count: int) -> Counter[int]:
    tenant = new_tenant(runtime)
    app = create_app(runtime)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        params = signed(tenant.pair, "user.getStats")
        answers = await asyncio.gather(*(client.get("/v1/", params=params) for _ in range(count)))
    return Counter(answer.json()["code"] for answer in answers)


def test_exactly_the_per_second_limit_is_admitted_under_32_concurrent_requests(
    limited: Runtime,
) -> None:
    codes = asyncio.run(_burst(limited, 32))
    assert codes == Counter({20: 5, 31: 27})


def test_keys_have_their_own_windows(limited: Runtime) -> None:
    async def two_keys() -> list[int]:
        app = create_app(limited)
        first, second = new_tenant(limited, "a"), new_tenant(limited, "b")
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            codes = []
            for tenant in (first, first, second):
                for _ in range(3):
                    answer = await client.get("/v1/", params=signed(tenant.pair, "user.getStats"))
                    codes.append(answer.json()["code"])
            return codes

    codes = asyncio.run(two_keys())
    assert codes[:6].count(20) == 5 and codes[6:] == [20, 20, 20]


def test_refused_requests_do_not_count_toward_the_minute() -> None:
    async def scenario() -> None:
        limiter = RateLimiter(per_second=1000, per_minute=3)
        for _ in range(3):
            await limiter.admit("k")
        for _ in range(5):
            with pytest.raises(RatePerMinuteExceeded):
                await limiter.admit("k")

        per_second = RateLimiter(per_second=2, per_minute=3)
        await per_second.admit("k")
        await per_second.admit("k")
        with pytest.raises(RatePerSecondExceeded):
            await per_second.admit("k")
        await asyncio.sleep(1.05)
        # Two counted in the minute, the refused one not: one more fits, then 32.
        await per_second.admit("k")
        with pytest.raises(RatePerMinuteExceeded):
            await per_second.admit("k")

    asyncio.run(scenario())


def test_requests_that_fail_authentication_are_not_counted(limited: Runtime) -> None:
    async def scenario() -> Counter[int]:
        tenant = new_tenant(limited)
        app = create_app(limited)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            bad = signed(tenant.pair, "user.getStats")
            bad["signature"] = "0" * 32
            for _ in range(10):
                assert (await client.get("/v1/", params=bad)).json()["code"] == 44
            good = signed(tenant.pair, "user.getStats")
            answers = [await client.get("/v1/", params=good) for _ in range(6)]
        return Counter(a.json()["code"] for a in answers)

    assert asyncio.run(scenario()) == Counter({20: 5, 31: 1})


def test_a_redis_url_builds_a_shared_limiter_with_the_shipped_client() -> None:
    # Construction must not need coredis: the redis extra installs redis-py.
    limiter = RateLimiter(per_second=5, per_minute=60, storage_url="redis://127.0.0.1:1/0")
    assert limiter is not None
