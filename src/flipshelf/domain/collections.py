"""Collections and flipbooks (spec section 5): their states and the rules on their fields."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import PurePosixPath

from flipshelf.domain.errors import BadRequest

DEFAULT_WIDTH = 650
DEFAULT_HEIGHT = 385
MAX_DIMENSION = 10_000
MAX_TITLE_LENGTH = 255
MAX_DESCRIPTION_LENGTH = 5_000


class CollectionStatus(StrEnum):
    PUBLISHED = "published"
    UNLISTED = "unlisted"
    EDITABLE = "editable"
    PRIVATE = "private"


class ConvertStatus(StrEnum):
    PROCESSING = "PROCESSING"
    COMPLETE = "COMPLETE"
    FAILED = "FAILED"


@dataclass(frozen=True)
class Flipbook:
    id: int
    hash: str
    collection_id: int
    position: int
    title: str
    extension: str
    convert_status: ConvertStatus
    convert_error: str | None
    page_count: int | None
    pages_ready: int
    created_at: datetime
    # Pages that could not be drawn (the rest of the book was): shown as placeholders.
    failed_pages: tuple[int, ...] = ()


@dataclass(frozen=True)
class ClaimedConversion:
    """A flipbook conversion a worker holds a lease on; `attempts` is the lease's token."""

    flipbook_hash: str
    collection_id: int
    source_key: str
    extension: str
    attempts: int


@dataclass(frozen=True)
class Collection:
    id: int
    hash: str
    account_id: int
    title: str
    description: str
    status: CollectionStatus
    width: int
    height: int
    logo_key: str | None
    background_key: str | None
    version: int
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None = None
    rtl: bool = False
    items: tuple[Flipbook, ...] = field(default=())

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def is_processing(self) -> bool:
        """A collection is processing while any of its items converts (spec section 5)."""
        return any(item.convert_status is ConvertStatus.PROCESSING for item in self.items)

    def item(self, flipbook_hash: str) -> Flipbook | None:
        return next((item for item in self.items if item.hash == flipbook_hash), None)


@dataclass(frozen=True)
class NewCollection:
    collection_hash: str
    account_id: int
    title: str
    description: str
    status: CollectionStatus
    width: int
    height: int
    rtl: bool = False


@dataclass(frozen=True)
class NewFlipbook:
    flipbook_hash: str
    title: str
    extension: str
    source_key: str | None = None
    status: ConvertStatus = ConvertStatus.PROCESSING
    page_count: int | None = None


@dataclass(frozen=True)
class CollectionChanges:
    """What `collection.update` may change; None means "leave as it is"."""

    title: str | None = None
    description: str | None = None
    status: CollectionStatus | None = None
    width: int | None = None
    height: int | None = None
    rtl: bool | None = None

    @property
    def is_empty(self) -> bool:
        return all(value is None for value in vars(self).values())


def parse_changes(given: Callable[[str], str | None]) -> CollectionChanges:
    """collection.update's fields from their raw values (`given(name)`: None when absent). An
    empty title or description is a real change to empty; other empty values change nothing."""
    title, description = given("title"), given("description")
    width, height = given("collectionWidth"), given("collectionHeight")
    status, rtl = given("collectionStatus"), given("rtl")
    return CollectionChanges(
        title=parse_title(title) if title is not None else None,
        description=parse_description(description) if description is not None else None,
        status=parse_collection_status(status) if status else None,
        width=parse_dimension("collectionWidth", width) if width else None,
        height=parse_dimension("collectionHeight", height) if height else None,
        rtl=parse_rtl(rtl) if rtl else None,
    )


def parse_collection_status(value: str) -> CollectionStatus:
    """Input accepts `public` as a synonym of `published` (spec section 5)."""
    normalized = value.strip().lower()
    if normalized == "public":
        return CollectionStatus.PUBLISHED
    try:
        return CollectionStatus(normalized)
    except ValueError:
        raise BadRequest(f"unknown collectionStatus {value!r}") from None


def parse_dimension(name: str, value: str) -> int:
    """Widths and heights are whole pixels from 1 to MAX_DIMENSION."""
    text = value.strip()
    if not text.isdigit() or not text.isascii():
        raise BadRequest(f"{name} must be a positive whole number")
    number = int(text)
    if not 1 <= number <= MAX_DIMENSION:
        raise BadRequest(f"{name} must be between 1 and {MAX_DIMENSION}")
    return number


def parse_rtl(value: str) -> bool:
    """`rtl` is true or false (also 1 or 0)."""
    lowered = value.strip().lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    raise BadRequest("rtl must be true or false")


def parse_title(value: str) -> str:
    title = value.strip()
    if len(title) > MAX_TITLE_LENGTH:
        raise BadRequest(f"title longer than {MAX_TITLE_LENGTH} characters")
    return title


def title_from_name(name: str) -> str:
    """A default title made from a file name: never refused for its length (a client cannot
    choose it the way it chooses `title`), so a long name is cut, marked with an ellipsis."""
    title = "".join(ch for ch in name if ch.isprintable()).strip()
    if len(title) <= MAX_TITLE_LENGTH:
        return title
    return title[: MAX_TITLE_LENGTH - 1].rstrip() + "\u2026"


def parse_description(value: str) -> str:
    if len(value) > MAX_DESCRIPTION_LENGTH:
        raise BadRequest(f"description longer than {MAX_DESCRIPTION_LENGTH} characters")
    return value


def default_title(client_name: str) -> str:
    """Titles default to the file's name without its extension: shown to people, never used
    to name anything stored."""
    stem = PurePosixPath(client_name.replace("\\", "/")).stem
    return title_from_name(stem) or "Untitled"


def check_order(current: list[str], wanted: list[str]) -> list[str]:
    """A new order of a collection's books names every one of them exactly once."""
    if len(set(wanted)) != len(wanted) or set(wanted) != set(current):
        raise BadRequest("the new order must list every book of the collection once")
    return wanted


def moved(current: list[str], flipbook_hash: str, offset: int) -> list[str]:
    """The order with one book moved `offset` places (negative: towards the start), stopping
    at either end."""
    if flipbook_hash not in current:
        raise BadRequest("no such flipbook in this collection")
    order = [item for item in current if item != flipbook_hash]
    place = min(max(current.index(flipbook_hash) + offset, 0), len(order))
    order.insert(place, flipbook_hash)
    return order
