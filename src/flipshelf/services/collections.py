"""Use cases on collections: find, change, list, delete."""

from __future__ import annotations

from flipshelf.domain.accounts import Account
from flipshelf.domain.collections import Collection, CollectionChanges
from flipshelf.domain.errors import Forbidden, InvalidCollectionHash
from flipshelf.domain.hashes import is_collection_hash
from flipshelf.domain.layout import ImageRole
from flipshelf.domain.listing import ListQuery
from flipshelf.services import webhooks
from flipshelf.services.ports import Ports


def find_owned(ports: Ports, account: Account, collection_hash: str) -> Collection:
    """The account's live collection. Bad shape or never seen: 46; deleted or foreign: 43."""
    if not is_collection_hash(collection_hash):
        raise InvalidCollectionHash("malformed collection hash")
    collection = ports.collections.get(collection_hash)
    if collection is None:
        raise InvalidCollectionHash("no collection has this hash")
    if collection.account_id != account.id:
        raise Forbidden("the collection belongs to another account")
    if collection.is_deleted:
        raise Forbidden("the collection was deleted")
    return collection


def update(
    ports: Ports, account: Account, collection_hash: str, changes: CollectionChanges
) -> Collection:
    collection = find_owned(ports, account, collection_hash)
    return ports.collections.update(collection.id, changes, ports.clock.now())


def delete(ports: Ports, account: Account, collection_hash: str) -> None:
    collection = find_owned(ports, account, collection_hash)
    ports.collections.mark_deleted(collection.id, ports.clock.now())
    webhooks.send_pending(ports)  # its collection.deleted event, if any endpoint wants it


def search(ports: Ports, account: Account, query: ListQuery) -> tuple[int, list[Collection]]:
    return ports.collections.search(account.id, query)


def delete_logo(ports: Ports, account: Account, collection_hash: str) -> Collection:
    collection = find_owned(ports, account, collection_hash)
    now = ports.clock.now()
    updated, old_key = ports.collections.replace_image(collection.id, ImageRole.LOGO, None, now)
    if old_key:
        # The row no longer points at the file, so a failed delete only leaves an orphan.
        ports.files.delete(old_key)
    return updated


def delete_flipbook(
    ports: Ports, account: Account, collection_hash: str, flipbook_hash: str
) -> None:
    collection = find_owned(ports, account, collection_hash)
    ports.collections.delete_flipbook(collection.id, flipbook_hash, ports.clock.now())
