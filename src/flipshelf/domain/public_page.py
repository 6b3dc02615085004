"""The public page of a collection (`/c/{hash}`): who may see it and whether search engines may
index it. A page for search engines and for sharing: title, description, cover, the page text
and the player (docs/player.md)."""

from __future__ import annotations

from dataclasses import dataclass
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


@dataclass(frozen=True)
class Heading:
    """An entry of a flipbook's table of contents (a PDF bookmark)."""

    title: str
    page: int | None
    children: tuple[Heading, ...] = ()


@dataclass(frozen=True)
class PublicPage:
    number: int
    paragraphs: tuple[str, ...]


@dataclass(frozen=True)
class PublicBook:
    hash: str
    title: str
    page_count: int
    outline: tuple[Heading, ...]
    pages: tuple[PublicPage, ...]  # the pages with text, as far as the page's text budget goes
    cover: str | None  # the first page's normal image, relative to the flipbook's files


@dataclass(frozen=True)
class CollectionView:
    """Everything the public page shows."""

    collection: Collection
    visibility: PageVisibility
    books: tuple[PublicBook, ...]
    truncated: bool  # some text was left out
