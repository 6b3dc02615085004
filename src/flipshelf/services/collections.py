"""Use cases on collections: find, change, list, delete."""

from __future__ import annotations

from collections.abc import Callable

from flipshelf.domain.accounts import Account
from flipshelf.domain.collections import Collection, CollectionChanges, moved
from flipshelf.domain.embed import embed_code, parse_embed_options
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


def _clear_image(
    ports: Ports, account: Account, collection_hash: str, role: ImageRole
) -> Collection:
    collection = find_owned(ports, account, collection_hash)
    now = ports.clock.now()
    updated, old_key = ports.collections.replace_image(collection.id, role, None, now)
    if old_key:
        # The row no longer points at the file, so a failed delete only leaves an orphan.
        ports.files.delete(old_key)
    return updated


def delete_logo(ports: Ports, account: Account, collection_hash: str) -> Collection:
    return _clear_image(ports, account, collection_hash, ImageRole.LOGO)


def delete_background(ports: Ports, account: Account, collection_hash: str) -> Collection:
    return _clear_image(ports, account, collection_hash, ImageRole.BACKGROUND)


def move_flipbook(
    ports: Ports, account: Account, collection_hash: str, flipbook_hash: str, offset: int
) -> Collection:
    """Moves one book `offset` places in its collection (negative: towards the start)."""
    collection = find_owned(ports, account, collection_hash)
    order = moved([item.hash for item in collection.items], flipbook_hash, offset)
    return ports.collections.reorder(collection.id, order, ports.clock.now())


def delete_flipbook(
    ports: Ports, account: Account, collection_hash: str, flipbook_hash: str
) -> None:
    collection = find_owned(ports, account, collection_hash)
    ports.collections.delete_flipbook(collection.id, flipbook_hash, ports.clock.now())


def embed(
    ports: Ports,
    account: Account,
    collection_hash: str,
    given: Callable[[str], str | None],
    widget_base: str,
) -> tuple[Collection, str]:
    """collection.getEmbed's code: the owned collection (46/43 first), then its options (40);
    answers the collection too (the API shows its public page's address)."""
    found = find_owned(ports, account, collection_hash)
    options = parse_embed_options(given, found.width, found.height)
    return found, embed_code(widget_base, found.hash, options, found.title)
