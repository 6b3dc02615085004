"""The per-process credential cache: short-lived, bounded, and never resurrecting old answers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from flipshelf.domain.accounts import Account
from flipshelf.services.accounts import CredentialCache, Credentials


@dataclass
class FakeTimer:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


def credentials(api_key: str, secret: str = "s") -> Credentials:
    account = Account(
        id=1,
        name="a",
        api_key=api_key,
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        revoked_at=None,
        strict=False,
    )
    return account, secret


def test_a_cached_answer_is_served_until_its_time_is_up() -> None:
    timer = FakeTimer()
    cache = CredentialCache(2.0, timer=timer)
    cache.put("k", credentials("k"), cache.generation)
    timer.now += 1.99
    assert cache.get("k") == credentials("k")
    timer.now += 0.01
    assert cache.get("k") is None


def test_zero_seconds_keeps_nothing() -> None:
    cache = CredentialCache(0, timer=FakeTimer())
    cache.put("k", credentials("k"), cache.generation)
    assert cache.get("k") is None


def test_the_oldest_key_leaves_first_when_the_cache_is_full() -> None:
    cache = CredentialCache(60, size=2, timer=FakeTimer())
    for key in ("a", "b", "c"):
        cache.put(key, credentials(key), cache.generation)
    assert cache.get("a") is None
    assert cache.get("b") == credentials("b") and cache.get("c") == credentials("c")


def test_a_refreshed_key_starts_a_new_lifetime() -> None:
    timer = FakeTimer()
    cache = CredentialCache(2.0, timer=timer)
    cache.put("k", credentials("k", "old"), cache.generation)
    timer.now += 1.5
    cache.put("k", credentials("k", "new"), cache.generation)
    timer.now += 1.5
    assert cache.get("k") == credentials("k", "new")


def test_forget_drops_the_key_at_once() -> None:
    cache = CredentialCache(60, timer=FakeTimer())
    cache.put("k", credentials("k"), cache.generation)
    cache.forget("k")
    assert cache.get("k") is None


def test_a_read_that_raced_a_change_is_not_stored() -> None:
    cache = CredentialCache(60, timer=FakeTimer())
    started = cache.generation  # a read of "k" begins...
    cache.forget("k")  # ...the key is revoked meanwhile...
    cache.put("k", credentials("k"), started)  # ...and the read's old answer arrives
    assert cache.get("k") is None
