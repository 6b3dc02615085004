"""Accounts and their API key pairs."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from flipshelf.domain.errors import BadRequest

MAX_ACCOUNT_NAME = 100


@dataclass(frozen=True)
class Account:
    id: int
    name: str
    api_key: str
    created_at: datetime
    revoked_at: datetime | None
    strict: bool
    # Every call must be signed with HMAC-SHA256 (`flipshelf accounts create --strict`): an MD5
    # signature, which a captured call can be re-split under, answers 44.
    hmac_only: bool = False
    # `flipshelf accounts delete`: gone for good (revoked too); its name is free again.
    deleted_at: datetime | None = None

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.deleted_at is None


@dataclass(frozen=True)
class KeyPair:
    api_key: str
    secret: str


def new_api_key() -> str:
    """Readable groups of uppercase hex, shaped like the reference's keys."""
    raw = secrets.token_hex(12).upper()
    return f"{raw[:8]}-{raw[8:12]}-{raw[12:]}"


def new_secret() -> str:
    return secrets.token_urlsafe(32)


class NameTaken(BadRequest):
    """Another live account has this name: names find accounts (dashboard, `login-link`)."""

    def __init__(self, name: str) -> None:
        super().__init__(
            f"an account named {name!r} exists already: choose another name "
            "(`flipshelf accounts list` shows them)"
        )


def parse_account_name(value: str) -> str:
    name = value.strip()
    if not name or len(name) > MAX_ACCOUNT_NAME or not name.isprintable():
        raise BadRequest(f"an account name is 1 to {MAX_ACCOUNT_NAME} printable characters")
    return name
