"""Wrong signatures, slowed per apiKey and per client address, never locking anyone out.

The rule (docs/api.md, "Wrong signatures"): each wrong signature counts against its apiKey and
its client address over a moving WINDOW_SECONDS. Up to ALLOWANCE of either in that window are
answered at once (a client with a wrong clock or secret learns fast). Past it, each further
wrong signature is answered only after DELAY_SECONDS, one at a time per key and per address:
however many connections a guesser opens, it gets about one answer a second per key, and one per
address. A right signature is never counted, queued or delayed, so the rightful client works
on while its key is under attack; nothing is ever refused for having been attacked.

Counted in each API process (like `memory://` rate limits): N processes allow N times as much.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

from flipshelf.api.v1.ratelimit import MovingWindow

ALLOWANCE = 10
WINDOW_SECONDS = 60.0
DELAY_SECONDS = 1.0

Sleep = Callable[[float], Awaitable[None]]


async def pause(seconds: float) -> None:
    """The wait before a throttled answer (a module function, so tests can watch it)."""
    await asyncio.sleep(seconds)


@dataclass
class _Turn:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0


class SignatureThrottle:
    def __init__(
        self,
        allowance: int = ALLOWANCE,
        window: float = WINDOW_SECONDS,
        delay: float = DELAY_SECONDS,
        timer: Callable[[], float] = time.monotonic,
        sleep: Sleep | None = None,
    ) -> None:
        self._keys, self._addresses = (
            MovingWindow(allowance, window),
            MovingWindow(allowance, window),
        )
        self._delay, self._timer, self._sleep = delay, timer, sleep
        self._turns: dict[str, _Turn] = {}
        self._next_sweep = timer() + window

    async def wrong(self, api_key: str, address: str) -> None:
        """Counts a wrong signature; returns when its answer may go."""
        now = self._timer()
        over_key = self._count(self._keys, api_key, now)
        over_address = self._count(self._addresses, address, now)
        if now >= self._next_sweep:
            self._keys.sweep(now)
            self._addresses.sweep(now)
            self._next_sweep = now + self._keys.seconds
        if not (over_key or over_address):
            return
        async with self._turn(f"address:{address}"), self._turn(f"key:{api_key}"):
            await (self._sleep or pause)(self._delay)

    @staticmethod
    def _count(window: MovingWindow, owner: str, now: float) -> bool:
        hits = window.recent(owner, now)
        hits.append(now)
        if len(hits) > window.limit + 1:
            hits.popleft()  # the newest limit+1 moments tell whether the limit is passed
        return len(hits) > window.limit

    @contextlib.asynccontextmanager
    async def _turn(self, owner: str) -> AsyncIterator[None]:
        """One delayed answer at a time per owner; the lock lives while anyone waits for it."""
        turn = self._turns.setdefault(owner, _Turn())
        turn.users += 1
        try:
            async with turn.lock:
                yield
        finally:
            turn.users -= 1
            if turn.users == 0:
                del self._turns[owner]
