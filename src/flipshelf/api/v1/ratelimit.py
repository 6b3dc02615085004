"""Per-key request limits as moving windows (spec section 3), in memory or in Redis."""

from __future__ import annotations

from limits import RateLimitItemPerMinute, RateLimitItemPerSecond
from limits.aio.storage import Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

from flipshelf.domain.errors import RatePerMinuteExceeded, RatePerSecondExceeded


class RateLimiter:
    def __init__(self, per_second: int, per_minute: int, storage_url: str = "memory://") -> None:
        storage = storage_from_string(f"async+{storage_url}")
        assert isinstance(storage, Storage)
        self._limiter = MovingWindowRateLimiter(storage)
        self._second = RateLimitItemPerSecond(per_second)
        self._minute = RateLimitItemPerMinute(per_minute)

    async def admit(self, api_key: str) -> None:
        """Counts one request or refuses it. A request refused with 31 counts nowhere; one
        refused with 32 does not count toward the minute (spec section 3)."""
        if not await self._limiter.hit(self._second, "s", api_key):
            raise RatePerSecondExceeded()
        if not await self._limiter.hit(self._minute, "m", api_key):
            raise RatePerMinuteExceeded()
