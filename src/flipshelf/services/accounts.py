"""Use cases on accounts: create, list, revoke, rotate, and finding a key's secret."""

from __future__ import annotations

from cryptography.exceptions import InvalidTag

from flipshelf.domain.accounts import Account, KeyPair, new_api_key, new_secret, parse_account_name
from flipshelf.domain.errors import BadRequest, InvalidCredentials
from flipshelf.security.secret_box import SecretBox
from flipshelf.services.ports import Ports


def create(ports: Ports, box: SecretBox, name: str) -> tuple[Account, KeyPair]:
    pair = KeyPair(new_api_key(), new_secret())
    account = ports.accounts.create(
        parse_account_name(name),
        pair.api_key,
        box.seal(pair.secret, pair.api_key),
        ports.clock.now(),
    )
    return account, pair


def revoke(ports: Ports, api_key: str) -> None:
    if not ports.accounts.revoke(api_key, ports.clock.now()):
        raise BadRequest("no active account has this apiKey")


def rotate_secret(ports: Ports, box: SecretBox, api_key: str) -> KeyPair:
    pair = KeyPair(api_key, new_secret())
    if not ports.accounts.replace_secret(api_key, box.seal(pair.secret, api_key)):
        raise BadRequest("no active account has this apiKey")
    return pair


def credentials(ports: Ports, box: SecretBox, api_key: str) -> tuple[Account, str]:
    """The active account behind an apiKey and its plaintext secret; unknown or revoked: 41."""
    found = ports.accounts.by_api_key(api_key)
    if found is None or not found[0].is_active:
        raise InvalidCredentials("unknown or revoked apiKey")
    account, sealed = found
    try:
        return account, box.open(sealed, api_key)
    except InvalidTag:
        # Wrong server key for this database: every key fails, which the operator must see.
        raise RuntimeError("cannot decrypt an API secret: is FLIPSHELF_SERVER_KEY right?") from None
