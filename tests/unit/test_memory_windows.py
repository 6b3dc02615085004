"""The in-process moving windows of `memory://` rate limits, on a clock the test moves."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest

from flipshelf.api.v1.ratelimit import MemoryWindows, RateLimiter
from flipshelf.domain.errors import RatePerMinuteExceeded, RatePerSecondExceeded


@dataclass
class FakeTimer:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


def admitted(windows: MemoryWindows, key: str, count: int) -> int:
    passed = 0
    for _ in range(count):
        try:
            windows.admit(key)
        except (RatePerSecondExceeded, RatePerMinuteExceeded):
            continue
        passed += 1
    return passed


def test_exactly_the_limit_passes_and_the_window_moves() -> None:
    timer = FakeTimer()
    windows = MemoryWindows(per_second=3, per_minute=1000, timer=timer)
    assert admitted(windows, "k", 10) == 3
    timer.now += 1.0
    assert admitted(windows, "k", 1) == 0  # exactly a second old still counts, as in `limits`
    timer.now += 0.001
    assert admitted(windows, "k", 10) == 3


def test_the_window_moves_one_request_at_a_time() -> None:
    timer = FakeTimer()
    windows = MemoryWindows(per_second=2, per_minute=1000, timer=timer)
    windows.admit("k")
    timer.now += 0.5
    windows.admit("k")
    timer.now += 0.6  # the first has left the window, the second has not
    assert admitted(windows, "k", 5) == 1


def test_a_31_counts_nowhere_and_a_32_counts_only_toward_the_second() -> None:
    timer = FakeTimer()
    windows = MemoryWindows(per_second=2, per_minute=3, timer=timer)
    windows.admit("k")
    windows.admit("k")
    with pytest.raises(RatePerSecondExceeded):
        windows.admit("k")
    timer.now += 1.5
    windows.admit("k")  # the minute holds 3 now: the refused one did not count
    with pytest.raises(RatePerMinuteExceeded):
        windows.admit("k")
    # That 32 used the second's last place: the next is a 31.
    with pytest.raises(RatePerSecondExceeded):
        windows.admit("k")
    timer.now += 59  # the first two have left the minute; the 32 never entered it
    assert admitted(windows, "k", 2) == 2


def test_keys_are_counted_apart() -> None:
    windows = MemoryWindows(per_second=1, per_minute=10, timer=FakeTimer())
    assert [admitted(windows, key, 3) for key in ("a", "b", "a")] == [1, 1, 0]


def test_idle_keys_are_dropped_and_start_again_empty() -> None:
    timer = FakeTimer()
    windows = MemoryWindows(per_second=1, per_minute=2, timer=timer)
    assert admitted(windows, "idle", 5) == 1
    timer.now += 61
    windows.admit("busy")  # a minute has passed: this admission sweeps
    assert "idle" not in windows._minute._hits and "idle" not in windows._second._hits
    assert admitted(windows, "idle", 5) == 1


def test_exact_under_concurrent_admissions() -> None:
    async def burst() -> int:
        limiter = RateLimiter(per_second=5, per_minute=60, timer=FakeTimer())

        async def one() -> bool:
            await asyncio.sleep(0)
            try:
                await limiter.admit("k")
            except RatePerSecondExceeded:
                return False
            return True

        return sum(await asyncio.gather(*(one() for _ in range(32))))

    assert asyncio.run(burst()) == 5
