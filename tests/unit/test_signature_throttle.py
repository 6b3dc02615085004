"""The wrong-signature rule, on a clock and a sleep the test controls."""

from __future__ import annotations

import asyncio

from flipshelf.api.v1.throttle import SignatureThrottle


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def throttle(clock: Clock, waits: list[float], allowance: int = 3) -> SignatureThrottle:
    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    return SignatureThrottle(allowance=allowance, window=60.0, delay=1.0, timer=clock, sleep=sleep)


def test_the_allowance_is_answered_at_once_and_each_wrong_one_after_it_waits() -> None:
    clock, waits = Clock(), []
    rule = throttle(clock, waits)

    async def scenario() -> None:
        for _ in range(3):
            await rule.wrong("key", "10.0.0.1")
        assert waits == []
        for _ in range(2):
            await rule.wrong("key", "10.0.0.1")
        assert waits == [1.0, 1.0]

    asyncio.run(scenario())


def test_keys_and_addresses_are_counted_apart_and_each_can_trip_it() -> None:
    clock, waits = Clock(), []
    rule = throttle(clock, waits)

    async def scenario() -> None:
        # One address trying many keys: the address trips it.
        for n in range(4):
            await rule.wrong(f"key-{n}", "10.0.0.1")
        assert waits == [1.0]
        # One key from many addresses: the key trips it.
        waits.clear()
        for n in range(4):
            await rule.wrong("target", f"10.0.1.{n}")
        assert waits == [1.0]
        # Another key from another address is untouched.
        waits.clear()
        await rule.wrong("other", "10.0.2.1")
        assert waits == []

    asyncio.run(scenario())


def test_the_window_moves_on() -> None:
    clock, waits = Clock(), []
    rule = throttle(clock, waits)

    async def scenario() -> None:
        for _ in range(10):
            await rule.wrong("key", "10.0.0.1")
        assert len(waits) == 7
        clock.now += 61
        waits.clear()
        for _ in range(3):
            await rule.wrong("key", "10.0.0.1")
        assert waits == []

    asyncio.run(scenario())


def test_delayed_answers_go_one_at_a_time_per_key_and_address() -> None:
    clock = Clock()
    sleeping, most = 0, 0

    async def sleep(_seconds: float) -> None:
        nonlocal sleeping, most
        sleeping += 1
        most = max(most, sleeping)
        await asyncio.sleep(0.001)
        sleeping -= 1

    rule = SignatureThrottle(allowance=1, window=60.0, delay=1.0, timer=clock, sleep=sleep)

    async def scenario() -> None:
        await asyncio.gather(*(rule.wrong("key", "10.0.0.1") for _ in range(20)))
        assert most == 1
        assert rule._turns == {}  # nothing kept once nobody waits

    asyncio.run(scenario())
