"""Use cases on private collections' player links: signed, expiring URLs for their owner."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flipshelf.domain.accounts import Account
from flipshelf.domain.collections import Collection
from flipshelf.domain.errors import Forbidden, InvalidCollectionHash
from flipshelf.domain.hashes import is_collection_hash
from flipshelf.domain.links import link_expiry, parse_expires_in
from flipshelf.services.collections import find_owned
from flipshelf.services.ports import Ports


@dataclass(frozen=True)
class PlayerLink:
    url: str
    expires_at: datetime


def _link(
    ports: Ports, collection: Collection, expires_in: str | None, widget_base: str
) -> PlayerLink:
    seconds = parse_expires_in(expires_in)
    expires_at = link_expiry(ports.clock.now(), seconds)
    query = ports.collection_links.query(collection.hash, expires_at)
    return PlayerLink(f"{widget_base}/{collection.hash}?{query}", expires_at)


def private_link(
    ports: Ports, account: Account, collection_hash: str, expires_in: str | None, widget_base: str
) -> PlayerLink:
    """The owner's signed player link; works for any status (a published collection's player
    simply ignores the signature). 46/43 like every owned lookup, then 40 for a bad expiry."""
    collection = find_owned(ports, account, collection_hash)
    return _link(ports, collection, expires_in, widget_base)


def operator_link(
    ports: Ports, collection_hash: str, expires_in: str | None, widget_base: str
) -> PlayerLink:
    """The same link for the operator (CLI), who may sign for any live collection."""
    if not is_collection_hash(collection_hash):
        raise InvalidCollectionHash("malformed collection hash")
    collection = ports.collections.get(collection_hash)
    if collection is None:
        raise InvalidCollectionHash("no collection has this hash")
    if collection.is_deleted:
        raise Forbidden("the collection was deleted")
    return _link(ports, collection, expires_in, widget_base)
