"""How long a private collection's player link lasts (`collection.getPrivateLink`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flipshelf.domain.errors import BadRequest

MIN_LINK_SECONDS = 60
MAX_LINK_SECONDS = 365 * 24 * 3600
DEFAULT_LINK_SECONDS = 7 * 24 * 3600


def parse_expires_in(value: str | None) -> int:
    """Seconds from now, 60 to a year; absent or empty: a week."""
    if value is None or value == "":
        return DEFAULT_LINK_SECONDS
    if not value.isascii() or not value.isdigit():
        raise BadRequest("expiresIn must be a whole number of seconds")
    seconds = int(value)
    if not MIN_LINK_SECONDS <= seconds <= MAX_LINK_SECONDS:
        raise BadRequest(f"expiresIn must be from {MIN_LINK_SECONDS} to {MAX_LINK_SECONDS}")
    return seconds


def link_expiry(now: datetime, seconds: int) -> datetime:
    """The expiry a link carries: whole unix seconds, as the signature covers them."""
    return datetime.fromtimestamp(int((now + timedelta(seconds=seconds)).timestamp()), UTC)
