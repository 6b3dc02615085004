"""The public page of a collection (`/c/{hash}`): who may see it and whether search engines may
index it. A page for search engines and for sharing: title, description, cover, the page text
and the player (docs/player.md)."""

from __future__ import annotations

from enum import Enum

from flipshelf.domain.collections import Collection, CollectionStatus


class PageVisibility(Enum):
    INDEXED = "indexed"  # published: listed for search engines
    NOINDEX = "noindex"  # unlisted: anyone with the link, never indexed
    CLOSED = "closed"  # private, draft or deleted: no page at all (404)


def page_visibility(collection: Collection) -> PageVisibility:
    """A private collection has no public page even with its signed link: the page would put
    its text in front of whoever the link is forwarded to, beyond the player's own checks."""
    if collection.is_deleted:
        return PageVisibility.CLOSED
    if collection.status is CollectionStatus.PUBLISHED:
        return PageVisibility.INDEXED
    if collection.status is CollectionStatus.UNLISTED:
        return PageVisibility.NOINDEX
    return PageVisibility.CLOSED
