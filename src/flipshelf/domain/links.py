"""How long a private collection's player link lasts (`collection.getPrivateLink`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flipshelf.domain.errors import BadRequest

MIN_LINK_SECONDS = 60
MAX_LINK_SECONDS = 365 * 24 * 3600
DEFAULT_LINK_SECONDS = 7 * 24 * 3600


def parse_seconds(name: str, value: str | None, default: int, low: int, high: int) -> int:
    """A link's lifetime in whole seconds from `low` to `high`; absent or empty: `default`."""
    if value is None or value == "":
        return default
    if not value.isascii() or not value.isdigit():
        raise BadRequest(f"{name} must be a whole number of seconds")
    seconds = int(value)
    if not low <= seconds <= high:
        raise BadRequest(f"{name} must be from {low} to {high}")
    return seconds


def parse_expires_in(value: str | None) -> int:
    """Seconds from now, 60 to a year; absent or empty: a week."""
    return parse_seconds(
        "expiresIn", value, DEFAULT_LINK_SECONDS, MIN_LINK_SECONDS, MAX_LINK_SECONDS
    )


def link_expiry(now: datetime, seconds: int) -> datetime:
    """The expiry a link carries: whole unix seconds, as the signature covers them."""
    return datetime.fromtimestamp(int((now + timedelta(seconds=seconds)).timestamp()), UTC)
