"""Use cases on accounts: create, rename, revoke and unrevoke, delete, rotate, and finding a
key's secret. A live account's name is its own (the dashboard and `login-link` find it by name)."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

from cryptography.exceptions import InvalidTag

from flipshelf.domain.accounts import Account, KeyPair, new_api_key, new_secret, parse_account_name
from flipshelf.domain.errors import BadRequest, InvalidCredentials
from flipshelf.security.secret_box import SecretBox
from flipshelf.services import collections
from flipshelf.services.ports import Ports


def create(
    ports: Ports, box: SecretBox, name: str, *, hmac_only: bool = False
) -> tuple[Account, KeyPair]:
    """A new account and its key pair; `hmac_only`: its calls must be signed with HMAC-SHA256."""
    pair = KeyPair(new_api_key(), new_secret())
    account = ports.accounts.create(
        parse_account_name(name),
        pair.api_key,
        box.seal(pair.secret, pair.api_key),
        ports.clock.now(),
        hmac_only,
    )
    return account, pair


def by_name(ports: Ports, name: str) -> Account:
    """The active account with this name (names of live accounts are unique)."""
    found = ports.accounts.active_named(parse_account_name(name))
    if not found:
        raise BadRequest(f"no active account is named {name.strip()!r}")
    return found[0]


def rename(ports: Ports, api_key: str, name: str) -> Account:
    """A new name; NameTaken (40) when another live account has it."""
    renamed = ports.accounts.rename(api_key, parse_account_name(name))
    if renamed is None:
        raise BadRequest("no account has this apiKey")
    return renamed


def unrevoke(ports: Ports, api_key: str) -> None:
    """A revoked key works again, with the secret it had."""
    if not ports.accounts.unrevoke(api_key):
        raise BadRequest("no revoked account has this apiKey")


def delete(ports: Ports, api_key: str, *, with_collections: bool = False) -> list[str]:
    """Deletes the account: its key answers 41 for good and its name is free again. Refused
    while it has collections, unless `with_collections`: then each is deleted first, as
    collection.delete does (its hash answers 43, its webhook event is sent). Answers the hashes
    of the collections deleted. Safe to run again after an interruption."""
    found = ports.accounts.by_api_key(api_key)
    if found is None or found[0].deleted_at is not None:
        raise BadRequest("no account has this apiKey")
    account = found[0]
    live = ports.collections.live_of_account(account.id)
    if live and not with_collections:
        raise BadRequest(
            f"the account has {len(live)} collection(s): delete them first, or pass "
            "--with-collections to delete them with it"
        )
    for collection_hash in live:
        collections.delete(ports, account, collection_hash)
    ports.accounts.delete(api_key, ports.clock.now())
    return live


def set_strict(ports: Ports, api_key: str, strict: bool, hmac_only: bool = False) -> None:
    """Strict mode on or off: signed `timestamp` and `nonce` required (replays answer 44); with
    `hmac_only`, HMAC-SHA256 signatures too (an MD5 one answers 44). Off leaves both."""
    if not ports.accounts.set_strict(api_key, strict):
        raise BadRequest("no account has this apiKey")
    if not strict or hmac_only:
        ports.accounts.set_hmac_only(api_key, strict and hmac_only)


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


Credentials = tuple[Account, str]


class CredentialCache:
    """What `credentials` answered per apiKey, kept for `ttl` seconds so a busy key is not read
    and decrypted on every call; at most `size` keys, the oldest leaving first.

    Another process (the CLI) that revokes, rotates or makes a key strict is seen here within
    `ttl` seconds. Changes made in this process call `forget`. A read that raced such a change
    is not stored (the generation moved on), so it cannot bring the old answer back. `ttl` 0:
    nothing is kept.
    """

    def __init__(
        self, ttl: float, size: int = 10_000, timer: Callable[[], float] = time.monotonic
    ) -> None:
        self._ttl, self._size, self._timer = ttl, size, timer
        self._entries: OrderedDict[str, tuple[float, Credentials]] = OrderedDict()
        self.generation = 0

    def get(self, api_key: str) -> Credentials | None:
        entry = self._entries.get(api_key)
        if entry is None:
            return None
        if self._timer() >= entry[0]:
            self._entries.pop(api_key, None)
            return None
        return entry[1]

    def put(self, api_key: str, found: Credentials, generation: int) -> None:
        """Keeps `found`, read when the cache was at `generation`, unless a key changed since."""
        if self._ttl <= 0 or generation != self.generation:
            return
        self._entries.pop(api_key, None)  # re-inserted last: the oldest stay first in line
        self._entries[api_key] = (self._timer() + self._ttl, found)
        while len(self._entries) > self._size:
            self._entries.popitem(last=False)

    def forget(self, api_key: str) -> None:
        # Bumped first: a read in flight that saw the old row must not store it afterwards.
        self.generation += 1
        self._entries.pop(api_key, None)
