"""Wrong signatures are slowed per key and address, through HTTP, while the rightful client's
calls keep answering at once (issue 11)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from flipshelf.api.v1 import throttle
from flipshelf.app import create_app
from flipshelf.runtime import Runtime
from tests.support import Tenant, signed


def wrong(tenant: Tenant) -> dict[str, str]:
    return {**signed(tenant.pair, "user.getStats"), "signature": "0" * 32}


def test_wrong_signatures_past_the_allowance_wait_and_right_ones_never_do(
    runtime: Runtime, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A guesser's answers past the allowance are held until released; meanwhile the rightful
    client, with the same key and from the same address, gets its answers at once."""
    app = create_app(runtime)
    released = asyncio.Event()
    waiting: list[float] = []
    most_at_once = 0

    async def held(seconds: float) -> None:
        nonlocal most_at_once
        waiting.append(seconds)
        most_at_once = max(most_at_once, len(waiting))
        await released.wait()
        waiting.pop()

    monkeypatch.setattr(throttle, "pause", held)

    async def scenario() -> tuple[list[int], list[int]]:
        transport = httpx.ASGITransport(app=app, client=("192.0.2.10", 5000))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:

            async def get(params: dict[str, str]) -> int:
                answer: dict[str, Any] = (await client.get("/v1/", params=params)).json()
                return int(answer["code"])

            first = [await get(wrong(tenant)) for _ in range(throttle.ALLOWANCE)]
            guesses = [asyncio.create_task(get(wrong(tenant))) for _ in range(5)]
            deadline = asyncio.get_running_loop().time() + 60
            while not waiting:  # the first guess past the allowance is being held
                assert asyncio.get_running_loop().time() < deadline
                await asyncio.sleep(0.01)
            rightful = [await get(signed(tenant.pair, "user.getStats")) for _ in range(3)]
            assert not any(guess.done() for guess in guesses)
            released.set()
            return first + list(await asyncio.gather(*guesses)), rightful

    answered, rightful = asyncio.run(scenario())
    assert answered == [44] * (throttle.ALLOWANCE + 5)
    assert rightful == [20, 20, 20]
    assert most_at_once == 1  # held one at a time for the key and the address
