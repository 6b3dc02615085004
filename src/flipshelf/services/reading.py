"""What the public may read (spec section 5): the rule of `domain/access.py` with its inputs
looked up, for every place a reader comes in (player, files, events, public pages, previews)."""

from __future__ import annotations

from dataclasses import dataclass

from flipshelf.domain.access import Access, LinkCheck, ReaderLink, needs_link, reader_access
from flipshelf.domain.collections import Collection
from flipshelf.services.ports import Ports


@dataclass(frozen=True)
class Reading:
    """A reader's way in: `collection` is set exactly when `access` is OPEN."""

    access: Access
    collection: Collection | None

    @property
    def is_open(self) -> bool:
        return self.access is Access.OPEN


def check_access(ports: Ports, collection: Collection | None, link: ReaderLink) -> Reading:
    """`reader_access` for a collection already loaded; the link's signature is checked only
    where it decides (a private collection)."""
    check = LinkCheck.INVALID
    if collection is not None and needs_link(collection):
        now = ports.clock.now()
        check = ports.collection_links.check(collection.hash, link.exp, link.sig, now)
    access = reader_access(collection, check)
    return Reading(access, collection if access is Access.OPEN else None)


def open_collection(ports: Ports, collection_hash: str, link: ReaderLink) -> Reading:
    """A reader opening a collection by its hash."""
    return check_access(ports, ports.collections.get(collection_hash), link)


def open_flipbook(ports: Ports, flipbook_hash: str, link: ReaderLink) -> Reading:
    """A reader opening one flipbook (its files): the rule of the collection that holds it."""
    return check_access(ports, ports.collections.of_flipbook(flipbook_hash), link)
