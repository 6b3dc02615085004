"""Fixtures of the fetch unit tests: an asyncio backend, and guards that keep every socket on
127.0.0.0/8 and every name lookup off the real DNS."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.network_guard import guard_sockets


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def connections(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every IP a socket tried to connect to; see tests/network_guard.py."""
    yield guard_sockets(monkeypatch)
