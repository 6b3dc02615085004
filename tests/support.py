"""Helpers shared by the tests: signing calls, a clock the test controls, seeding data."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from flipshelf.api.v1.signature import HMAC_METHOD, hmac_sign, sign
from flipshelf.domain.accounts import Account, KeyPair
from flipshelf.domain.collections import (
    Collection,
    CollectionStatus,
    ConvertStatus,
    NewCollection,
    NewFlipbook,
)
from flipshelf.domain.hashes import new_collection_hash, new_flipbook_hash
from flipshelf.runtime import Runtime
from flipshelf.services import accounts


@dataclass
class FixedClock:
    moment: datetime = field(default_factory=lambda: datetime(2026, 11, 23, 12, 0, tzinfo=UTC))

    def now(self) -> datetime:
        return self.moment

    def advance(self, **delta: float) -> None:
        self.moment += timedelta(**delta)


@dataclass
class RecordingQueue:
    """A JobQueue that only remembers what was sent: for tests that run no workers."""

    sent: list[str] = field(default_factory=list)
    packages: list[int] = field(default_factory=list)
    deliveries: list[int] = field(default_factory=list)
    zooms: list[str] = field(default_factory=list)

    def convert(self, flipbook_hash: str) -> None:
        self.sent.append(flipbook_hash)

    def package(self, package_id: int) -> None:
        self.packages.append(package_id)

    def zoom(self, flipbook_hash: str) -> None:
        self.zooms.append(flipbook_hash)

    def deliver(self, delivery_id: int) -> None:
        self.deliveries.append(delivery_id)


def signed(pair: KeyPair, action: str, **params: Any) -> dict[str, str]:
    values = {"action": action, "apiKey": pair.api_key, **{k: str(v) for k, v in params.items()}}
    values["signature"] = sign(pair.secret, values)
    return values


def hmac_signed(
    pair: KeyPair, action: str, timestamp: int, nonce: str, **params: Any
) -> dict[str, str]:
    """A call signed in HMAC-SHA256 mode (docs/api.md, "HMAC signing")."""
    values = {"action": action, "apiKey": pair.api_key, **{k: str(v) for k, v in params.items()}}
    values.update(signatureMethod=HMAC_METHOD, timestamp=str(timestamp), nonce=nonce)
    values["signature"] = hmac_sign(pair.secret, values)
    return values


@dataclass
class Tenant:
    """An account with its key pair, as a client holds it."""

    account: Account
    pair: KeyPair


def new_tenant(runtime: Runtime, name: str = "tester") -> Tenant:
    account, pair = accounts.create(runtime.ports, runtime.box, name)
    return Tenant(account, pair)


def seed_collection(
    runtime: Runtime,
    tenant: Tenant,
    *,
    title: str = "Spring catalogue",
    description: str = "",
    status: CollectionStatus = CollectionStatus.PUBLISHED,
    items: tuple[ConvertStatus, ...] = (ConvertStatus.COMPLETE,),
    now: datetime | None = None,
) -> Collection:
    """A collection made through the services, as tests may do until uploads exist."""
    ports = runtime.ports
    moment = now or ports.clock.now()
    collection = ports.collections.add(
        NewCollection(
            new_collection_hash(), tenant.account.id, title, description, status, 650, 385
        ),
        moment,
    )
    for position, state in enumerate(items, start=1):
        item = NewFlipbook(
            flipbook_hash=new_flipbook_hash(),
            title=f"book {position}",
            extension="pdf",
            status=state,
            page_count=12 if state is ConvertStatus.COMPLETE else None,
        )
        collection = ports.collections.add_flipbook(collection.id, item, moment)
    return collection
