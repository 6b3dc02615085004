"""Who may read a collection: the one rule behind the player, its files, reader events, the
collection's public page and the dashboard's previews.

Published and unlisted collections are open to anyone with the address; a private one only
through its signed player link (`exp` and `sig`, see `security/links.py`); a draft (status
`editable`) and a deleted collection are refused as if they did not exist, so nobody can tell
them from a hash that was never made.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from flipshelf.domain.collections import Collection, CollectionStatus

PUBLIC = frozenset({CollectionStatus.PUBLISHED, CollectionStatus.UNLISTED})


class Access(Enum):
    """What a reader gets; the value is the HTTP status a page answers with."""

    OPEN = 200
    FORBIDDEN = 403  # a private collection, and a link that is not its own
    NOT_FOUND = 404  # no such collection, a draft, or deleted
    EXPIRED = 410  # a private collection's link that was valid once


class LinkCheck(Enum):
    """How a signed link checked out (for its subject, at a moment)."""

    VALID = "valid"
    EXPIRED = "expired"
    INVALID = "invalid"


@dataclass(frozen=True)
class ReaderLink:
    """The `exp` and `sig` a reader's request carries (a private collection's player appends
    them to every file, event and page URL); both None on a plain link."""

    exp: str | None = None
    sig: str | None = None


def is_public(collection: Collection) -> bool:
    """Open to anyone with the address, link or not."""
    return not collection.is_deleted and collection.status in PUBLIC


def needs_link(collection: Collection | None) -> bool:
    """Whether the reader's link decides (so the caller checks its signature only then)."""
    return (
        collection is not None
        and not collection.is_deleted
        and collection.status is CollectionStatus.PRIVATE
    )


def reader_access(collection: Collection | None, link: LinkCheck) -> Access:
    """Whether a reader may read `collection` (None: no such hash), given how the link they
    came with checked out for it."""
    if collection is None or collection.is_deleted:
        return Access.NOT_FOUND
    if is_public(collection):
        return Access.OPEN
    if collection.status is not CollectionStatus.PRIVATE:
        return Access.NOT_FOUND
    if link is LinkCheck.VALID:
        return Access.OPEN
    return Access.EXPIRED if link is LinkCheck.EXPIRED else Access.FORBIDDEN
