"""The rules of signing in to the dashboard: sessions, CSRF tokens, throttled attempts, passwords
and one-time login links. Pure: every rule takes `now`.

Throttling slows guessing without ever locking the owner out. Failed attempts are counted per
client address and per account; after a few free ones each further failure doubles the wait
before the next attempt is even checked, up to a cap. The account's cap is short (a minute), so
someone guessing from many addresses cannot keep the owner out for long, and a login link
(`flipshelf accounts login-link`) is never throttled at all. The address's cap is long: one
client spraying many accounts slows down to one guess an hour.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from flipshelf.domain.errors import BadRequest
from flipshelf.domain.links import parse_seconds

# A session's last activity is written at most this often: reading a page is not a write.
TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class SessionPolicy:
    idle: timedelta  # signed out after this long without a request
    absolute: timedelta  # signed out this long after signing in, however active


@dataclass(frozen=True)
class StoredSession:
    """A signed-in browser as the database keeps it (never the cookie's token itself)."""

    token_hash: str
    account_id: int
    csrf: str
    created_at: datetime
    seen_at: datetime


class SessionState(Enum):
    ACTIVE = "active"
    IDLE = "idle"  # no request for longer than the idle time
    EXPIRED = "expired"  # older than the absolute lifetime


def session_state(
    created_at: datetime, seen_at: datetime, now: datetime, policy: SessionPolicy
) -> SessionState:
    if now >= created_at + policy.absolute:
        return SessionState.EXPIRED
    if now >= seen_at + policy.idle:
        return SessionState.IDLE
    return SessionState.ACTIVE


def needs_touch(seen_at: datetime, now: datetime) -> bool:
    return now - seen_at >= TOUCH_EVERY


def csrf_matches(expected: str, given: str | None) -> bool:
    """The form's (or header's) token is the session's, compared in constant time."""
    if not given or not expected:
        return False
    return hmac.compare_digest(expected.encode(), given.encode("utf-8", "replace"))


@dataclass(frozen=True)
class Failures:
    count: int
    last_at: datetime


@dataclass(frozen=True)
class ThrottleRule:
    free: int  # failures before any wait
    cap: timedelta  # the longest wait
    first: timedelta = timedelta(seconds=1)  # the first wait; each failure after doubles it


ADDRESS_RULE = ThrottleRule(free=10, cap=timedelta(hours=1))
ACCOUNT_RULE = ThrottleRule(free=5, cap=timedelta(minutes=1))
# Failures this old are forgotten: a typo last week costs nothing today.
FORGET_AFTER = timedelta(hours=24)


def address_key(address: str) -> str:
    return f"address:{address}"


def account_key(account_id: int) -> str:
    return f"account:{account_id}"


def _live(failures: Failures | None, now: datetime) -> int:
    if failures is None or now - failures.last_at >= FORGET_AFTER:
        return 0
    return failures.count


def delay_after(count: int, rule: ThrottleRule) -> timedelta:
    """How long after the `count`th failure the next attempt is refused unchecked."""
    beyond = count - rule.free - 1
    if beyond < 0:
        return timedelta(0)
    # Doubling past the cap overflows nothing: stop doubling once the cap is reached.
    delay = rule.first
    for _ in range(beyond):
        if delay >= rule.cap:
            break
        delay *= 2
    return min(delay, rule.cap)


def wait_before_attempt(failures: Failures | None, now: datetime, rule: ThrottleRule) -> timedelta:
    """Zero when an attempt may be checked now; else how long to wait."""
    count = _live(failures, now)
    if count == 0 or failures is None:
        return timedelta(0)
    return max(timedelta(0), failures.last_at + delay_after(count, rule) - now)


def after_failure(failures: Failures | None, now: datetime) -> Failures:
    return Failures(_live(failures, now) + 1, now)


MIN_PASSWORD_LENGTH = 10
# Hashing is deliberately slow and memory-hard: a megabyte "password" must not reach it.
MAX_PASSWORD_LENGTH = 1024


def check_new_password(value: str) -> str:
    if len(value) < MIN_PASSWORD_LENGTH:
        raise BadRequest(f"a password has at least {MIN_PASSWORD_LENGTH} characters")
    if len(value) > MAX_PASSWORD_LENGTH:
        raise BadRequest(f"a password has at most {MAX_PASSWORD_LENGTH} characters")
    if not value.isprintable():
        raise BadRequest("a password holds no control characters")
    return value


def usable_password(value: str) -> bool:
    """Whether a sign-in attempt's password is worth checking at all."""
    return 0 < len(value) <= MAX_PASSWORD_LENGTH


MIN_LOGIN_LINK_SECONDS = 60
MAX_LOGIN_LINK_SECONDS = 7 * 24 * 3600


def parse_login_link_seconds(value: str | None, default: int) -> int:
    """How long a login link works: 60 seconds to a week; absent: `default`."""
    return parse_seconds(
        "--expires", value, default, MIN_LOGIN_LINK_SECONDS, MAX_LOGIN_LINK_SECONDS
    )


def login_subject(account_id: int, nonce: str) -> str:
    """What a login link's signature covers: the account and the link's one-time nonce."""
    return f"{account_id}:{nonce}"


def is_nonce(value: str) -> bool:
    return (
        16 <= len(value) <= 64 and value.isascii() and all(c.isalnum() or c in "-_" for c in value)
    )
