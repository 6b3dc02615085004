"""What the public may read: a collection's files, by its status (spec section 5)."""

from __future__ import annotations

from flipshelf.domain.collections import Collection, CollectionStatus
from flipshelf.services.ports import Ports

PUBLIC = frozenset({CollectionStatus.PUBLISHED, CollectionStatus.UNLISTED})


def is_public(collection: Collection) -> bool:
    """Published and unlisted collections are open to anyone with the link; drafts never;
    private ones only through a signed link (checked by the caller)."""
    return not collection.is_deleted and collection.status in PUBLIC


def readable_collection(ports: Ports, collection_hash: str, signed_ok: bool) -> Collection | None:
    collection = ports.collections.get(collection_hash)
    if collection is None or collection.is_deleted:
        return None
    if is_public(collection):
        return collection
    if collection.status is CollectionStatus.PRIVATE and signed_ok:
        return collection
    return None


def readable_flipbook(ports: Ports, flipbook_hash: str, signed_ok: bool) -> Collection | None:
    collection = ports.collections.of_flipbook(flipbook_hash)
    if collection is None:
        return None
    return readable_collection(ports, collection.hash, signed_ok)
