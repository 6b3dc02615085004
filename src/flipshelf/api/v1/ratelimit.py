"""Per-key request limits as moving windows (spec section 3), in memory or in Redis."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from urllib.parse import urlsplit

from limits import RateLimitItem, RateLimitItemPerMinute, RateLimitItemPerSecond
from limits.aio.storage import Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from flipshelf.domain.errors import RatePerMinuteExceeded, RatePerSecondExceeded

SECOND, MINUTE = 1.0, 60.0
# A pooled connection that a Redis restart closed fails on its next use; redis-py then drops it,
# so one more try goes through a fresh connection. A Redis that is really down fails again, and
# the endpoint answers 22 (flipshelf/health.py).
STALE_CONNECTION = (RedisConnectionError, RedisTimeoutError)


class MovingWindow:
    """The moments of the requests counted in the last `seconds` per key, oldest first.

    Exact: a key holds at most `limit` moments, so the check is a length. Expired moments leave
    from the left as the key is used, O(1) amortised; idle keys are dropped by `sweep`.
    """

    def __init__(self, limit: int, seconds: float) -> None:
        self.limit, self.seconds = limit, seconds
        self._hits: dict[str, deque[float]] = {}

    def recent(self, key: str, now: float) -> deque[float]:
        hits = self._hits.get(key)
        if hits is None:
            hits = self._hits[key] = deque()
        # Like `limits`: a moment exactly `seconds` old still counts.
        oldest = now - self.seconds
        while hits and hits[0] < oldest:
            hits.popleft()
        return hits

    def sweep(self, now: float) -> None:
        oldest = now - self.seconds
        idle = [key for key, hits in self._hits.items() if not hits or hits[-1] < oldest]
        for key in idle:
            del self._hits[key]


class MemoryWindows:
    """The windows of one API process. Checking and counting happen with no await between
    them, so concurrent requests on the event loop are counted exactly."""

    def __init__(
        self, per_second: int, per_minute: int, timer: Callable[[], float] = time.monotonic
    ) -> None:
        self._second, self._minute = (
            MovingWindow(per_second, SECOND),
            MovingWindow(per_minute, MINUTE),
        )
        self._timer = timer
        self._next_sweep = timer() + MINUTE

    def admit(self, api_key: str) -> None:
        now = self._timer()
        second = self._second.recent(api_key, now)
        if len(second) >= self._second.limit:
            raise RatePerSecondExceeded()
        second.append(now)  # counted in the second even if the minute refuses (spec section 3)
        minute = self._minute.recent(api_key, now)
        if len(minute) >= self._minute.limit:
            raise RatePerMinuteExceeded()
        minute.append(now)
        if now >= self._next_sweep:
            self._sweep(now)

    def _sweep(self, now: float) -> None:
        self._second.sweep(now)
        self._minute.sweep(now)
        self._next_sweep = now + MINUTE


class RateLimiter:
    """`memory://`: exact windows in this process (a deque per key, no background work).
    Redis: the `limits` library's moving windows, shared by every API process."""

    def __init__(
        self,
        per_second: int,
        per_minute: int,
        storage_url: str = "memory://",
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        self._memory: MemoryWindows | None = None
        if urlsplit(storage_url).scheme == "memory":
            self._memory = MemoryWindows(per_second, per_minute, timer)
            return
        # limits' async Redis defaults to `coredis`; we ship `redis` (the redis extra).
        storage = storage_from_string(f"async+{storage_url}", implementation="redispy")
        assert isinstance(storage, Storage)
        self._storage = storage
        self._limiter = MovingWindowRateLimiter(storage)
        self._second = RateLimitItemPerSecond(per_second)
        self._minute = RateLimitItemPerMinute(per_minute)

    async def admit(self, api_key: str) -> None:
        """Counts one request or refuses it. A request refused with 31 counts nowhere; one
        refused with 32 does not count toward the minute (spec section 3)."""
        if self._memory is not None:
            self._memory.admit(api_key)
            return
        if not await self._hit(self._second, "s", api_key):
            raise RatePerSecondExceeded()
        if not await self._hit(self._minute, "m", api_key):
            raise RatePerMinuteExceeded()

    async def _hit(self, item: RateLimitItem, scope: str, api_key: str) -> bool:
        try:
            return await self._limiter.hit(item, scope, api_key)
        except STALE_CONNECTION:
            return await self._limiter.hit(item, scope, api_key)

    async def ping(self) -> None:
        """Raises when the shared store cannot be reached (readiness); memory always can."""
        if self._memory is not None:
            return
        for _attempt in range(2):  # the first may meet a connection a restart closed
            try:
                if await self._storage.check():
                    return
            except STALE_CONNECTION:
                pass
        raise RedisConnectionError("the rate-limit store does not answer")
