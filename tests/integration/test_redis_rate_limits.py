"""Rate limits in Redis: the windows every API process shares (spec section 3)."""

from __future__ import annotations

import asyncio
import uuid

import pytest
import redis

from flipshelf.api.v1.ratelimit import RateLimiter
from flipshelf.domain.errors import RatePerMinuteExceeded, RatePerSecondExceeded

pytestmark = [pytest.mark.redis, pytest.mark.xdist_group("redis")]


async def _hits(limiters: list[RateLimiter], key: str, count: int) -> list[str]:
    async def one(limiter: RateLimiter) -> str:
        try:
            await limiter.admit(key)
        except RatePerSecondExceeded:
            return "31"
        except RatePerMinuteExceeded:
            return "32"
        return "20"

    return await asyncio.gather(*(one(limiters[n % len(limiters)]) for n in range(count)))


def _windows(url: str, key: str) -> dict[str, list[bytes]]:
    """What Redis holds for `key`'s windows, to say why an assertion failed."""
    client = redis.Redis.from_url(url)
    try:
        names = client.keys(f"*{key}*")
        return {name.decode(): client.lrange(name, 0, -1) for name in names}
    finally:
        client.close()


def test_two_api_processes_share_one_per_second_window(redis_url: str) -> None:
    async def scenario() -> list[str]:
        # Two limiters are two API processes: each has its own connections to the same Redis.
        limiters = [RateLimiter(5, 600, redis_url), RateLimiter(5, 600, redis_url)]
        return await _hits(limiters, uuid.uuid4().hex, 12)

    answers = asyncio.run(scenario())
    assert sorted(answers) == ["20"] * 5 + ["31"] * 7


def test_the_minute_window_is_shared_too_and_refusals_by_it_count_in_the_second(
    redis_url: str,
) -> None:
    key = uuid.uuid4().hex

    async def scenario() -> tuple[list[str], list[str]]:
        limiters = [RateLimiter(8, 6, redis_url), RateLimiter(8, 6, redis_url)]
        first = [await _one(limiters[n % 2], key) for n in range(8)]
        return first, [await _one(limiters[0], key)]

    first, after = asyncio.run(scenario())
    # Six in the minute; the 7th and 8th are refused by the minute (32) but used the second's
    # room, so the 9th, within the same second, is refused by the second (31).
    assert first == ["20"] * 6 + ["32"] * 2, _windows(redis_url, key)
    assert after == ["31"], _windows(redis_url, key)


def test_keys_keep_their_own_windows_in_redis(redis_url: str) -> None:
    async def scenario() -> tuple[list[str], list[str]]:
        limiter = RateLimiter(2, 600, redis_url)
        first, second = f"a-{uuid.uuid4().hex}", f"b-{uuid.uuid4().hex}"
        return await _hits([limiter], first, 3), await _hits([limiter], second, 2)

    first, second = asyncio.run(scenario())
    assert sorted(first) == ["20", "20", "31"]
    assert second == ["20", "20"]


async def _one(limiter: RateLimiter, key: str) -> str:
    return (await _hits([limiter], key, 1))[0]
