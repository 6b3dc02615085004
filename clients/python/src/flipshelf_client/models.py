"""What the actions answer, as frozen dataclasses with snake_case names.

Each `from_wire` reads the camelCase `data` of an answer. Fields that a Flipsnack-compatible
server may leave out get their documented default; a field the object cannot exist without
(a hash) missing is a `ProtocolError`. `raw` keeps the whole object, extra fields included.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar

from flipshelf_client.errors import ProtocolError

E = TypeVar("E", bound=StrEnum)


class ConvertStatus(StrEnum):
    PROCESSING = "PROCESSING"
    COMPLETE = "COMPLETE"
    FAILED = "FAILED"


class CollectionStatus(StrEnum):
    PUBLISHED = "published"
    UNLISTED = "unlisted"
    EDITABLE = "editable"
    PRIVATE = "private"


class PackageStatus(StrEnum):
    PROCESSING = "PROCESSING"
    COMPLETE = "COMPLETE"
    FAILED = "FAILED"


def _object(value: object, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ProtocolError(f"expected {what} to be an object, got {type(value).__name__}")
    return value


def _required(wire: Mapping[str, Any], name: str) -> Any:
    if name not in wire or wire[name] is None:
        raise ProtocolError(f"the answer has no {name!r}")
    return wire[name]


def _int(value: object, name: str) -> int:
    # The reference sends some numbers as strings (collection settings); accept both.
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().removeprefix("-").isdigit():
        return int(value)
    raise ProtocolError(f"{name!r} is not a whole number: {value!r}")


def _optional_int(value: object, name: str) -> int | None:
    return None if value is None or value == "" else _int(value, name)


def _enum(kind: type[E], value: object) -> E:
    try:
        return kind(str(value) if isinstance(value, str) else "")
    except ValueError:
        raise ProtocolError(f"unknown {kind.__name__} {value!r}") from None


@dataclass(frozen=True)
class Flipbook:
    """One item of a collection. `pages_ready` counts the pages converted so far (all of them
    once COMPLETE); `page_count` is None until the converter has read the document."""

    flipbook_hash: str
    title: str
    extension: str
    convert_status: ConvertStatus
    page_count: int | None
    pages_ready: int
    convert_error: str | None
    raw: Mapping[str, Any] = field(repr=False, compare=False, hash=False)

    @classmethod
    def from_wire(cls, data: object) -> Flipbook:
        wire = _object(data, "a flipbook")
        status = _enum(ConvertStatus, _required(wire, "convertStatus"))
        page_count = _optional_int(wire.get("pageCount"), "pageCount")
        ready = _optional_int(wire.get("pagesReady"), "pagesReady")
        if ready is None:
            ready = (page_count or 0) if status is ConvertStatus.COMPLETE else 0
        return cls(
            flipbook_hash=str(_required(wire, "flipbookHash")),
            title=str(wire.get("flipbookTitle") or ""),
            extension=str(wire.get("extension") or ""),
            convert_status=status,
            page_count=page_count,
            pages_ready=ready,
            convert_error=wire.get("convertError"),
            raw=wire,
        )


@dataclass(frozen=True)
class Collection:
    collection_hash: str
    title: str
    description: str
    status: CollectionStatus
    thumbnail_url: str | None
    logo_url: str | None
    background_image_url: str | None
    items: tuple[Flipbook, ...]
    width: int
    height: int
    rtl: bool
    raw: Mapping[str, Any] = field(repr=False, compare=False, hash=False)

    @property
    def processing(self) -> bool:
        """True while any item is still converting."""
        return any(item.convert_status is ConvertStatus.PROCESSING for item in self.items)

    @property
    def failed_items(self) -> tuple[Flipbook, ...]:
        return tuple(i for i in self.items if i.convert_status is ConvertStatus.FAILED)

    @classmethod
    def from_wire(cls, data: object) -> Collection:
        wire = _object(data, "a collection")
        settings = _object(wire.get("settings") or {}, "settings")
        status = str(wire.get("collectionStatus") or "published").strip().lower()
        return cls(
            collection_hash=str(_required(wire, "collectionHash")),
            title=str(wire.get("collectionTitle") or ""),
            description=str(wire.get("collectionDescription") or ""),
            # The reference's word for published.
            status=_enum(CollectionStatus, "published" if status == "public" else status),
            thumbnail_url=wire.get("thumbnailUrl"),
            logo_url=wire.get("logoUrl"),
            background_image_url=wire.get("backgroundImageUrl"),
            items=tuple(Flipbook.from_wire(item) for item in wire.get("collectionItems") or ()),
            width=_int(settings.get("collectionWidth", 650), "collectionWidth"),
            height=_int(settings.get("collectionHeight", 385), "collectionHeight"),
            rtl=bool(wire.get("rtl", False)),
            raw=wire,
        )


@dataclass(frozen=True)
class CollectionList:
    """`collection_count` counts every match; `collections` is the requested window."""

    collection_count: int
    collections: tuple[Collection, ...]

    @classmethod
    def from_wire(cls, data: object) -> CollectionList:
        wire = _object(data, "a list")
        return cls(
            collection_count=_int(_required(wire, "collectionCount"), "collectionCount"),
            collections=tuple(Collection.from_wire(c) for c in wire.get("collections") or ()),
        )


@dataclass(frozen=True)
class PageStats:
    page: int
    time_spent: int
    clicks: int
    views: int


@dataclass(frozen=True)
class Stats:
    """Reader figures; `pages` only when asked for (`include_page_stats=True`)."""

    impressions: int
    views: int
    time_spent: int
    downloads: int
    pages: tuple[PageStats, ...] | None

    @classmethod
    def from_wire(cls, data: object) -> Stats:
        wire = _object(data, "statistics")
        pages = wire.get("pages")
        return cls(**_totals(wire), pages=None if pages is None else _pages(pages))


@dataclass(frozen=True)
class UserStats:
    impressions: int
    views: int
    time_spent: int
    downloads: int
    api_uploads_left: int

    @classmethod
    def from_wire(cls, data: object) -> UserStats:
        wire = _object(data, "statistics")
        left = _int(wire.get("api_uploads_left", 0), "api_uploads_left")
        return cls(**_totals(wire), api_uploads_left=left)


def _totals(wire: Mapping[str, Any]) -> dict[str, int]:
    names = ("impressions", "views", "time_spent", "downloads")
    return {name: _int(wire.get(name, 0), name) for name in names}


def _pages(pages: object) -> tuple[PageStats, ...]:
    if not isinstance(pages, list):
        raise ProtocolError("'pages' is not a list")
    return tuple(_page(page) for page in pages)


def _page(data: object) -> PageStats:
    wire = _object(data, "a page")
    names = ("page", "time_spent", "clicks", "views")
    return PageStats(**{name: _int(wire.get(name, 0), name) for name in names})


@dataclass(frozen=True)
class Package:
    """collection.downloadHTML's answer: `resource_url` is set once COMPLETE; it expires
    quickly (a minute by default), so download it at once."""

    status: PackageStatus
    resource_url: str | None

    @classmethod
    def from_wire(cls, data: object) -> Package:
        wire = _object(data, "a package")
        return cls(_enum(PackageStatus, _required(wire, "status")), wire.get("resourceUrl"))


def embed_code(data: object) -> str:
    return str(_required(_object(data, "an embed"), "embedCode"))


def private_link(data: object) -> str:
    return str(_required(_object(data, "a link"), "url"))


def nothing(data: object) -> None:
    """For the actions that answer no data."""
    return None
