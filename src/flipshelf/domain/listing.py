"""The rules of `collection.getList`: filter, query, paging window and ordering."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from flipshelf.domain.collections import CollectionStatus
from flipshelf.domain.errors import BadRequest

DEFAULT_PAGE = 50
MAX_PAGE = 500
MAX_QUERY_LENGTH = 200


class OrderBy(StrEnum):
    DATE = "date"
    TITLE = "title"


class OrderMode(StrEnum):
    ASC = "asc"
    DESC = "desc"


@dataclass(frozen=True)
class ListQuery:
    status: CollectionStatus | None
    text: str | None
    offset: int
    limit: int
    order_by: OrderBy
    order_mode: OrderMode


def parse_offset(name: str, value: str) -> int:
    if not value.isascii() or not value.isdigit():
        raise BadRequest(f"{name} must be a whole number >= 0")
    return int(value)


def page_window(start: str | None, end: str | None) -> tuple[int, int]:
    """`from` is a 0-based offset; `to` an exclusive end, default from+50, capped at from+500.

    A `to` beyond the cap is clamped rather than refused, so a client asking for "everything"
    gets the largest page; a `to` before `from` is a client bug and answers 40.
    """
    offset = parse_offset("from", start) if start else 0
    stop = parse_offset("to", end) if end else offset + DEFAULT_PAGE
    if stop < offset:
        raise BadRequest("to must not be smaller than from")
    return offset, min(stop, offset + MAX_PAGE) - offset


# Names real clients send for an order: `name` (a C# client of the live service) is the title.
_ORDER_SYNONYMS = {"name": OrderBy.TITLE}


def parse_order_by(value: str | None) -> OrderBy:
    if not value:
        return OrderBy.DATE
    synonym = _ORDER_SYNONYMS.get(value)
    if synonym is not None:
        return synonym
    try:
        return OrderBy(value)
    except ValueError:
        raise BadRequest("orderBy must be date, title or name") from None


def parse_order_mode(value: str | None) -> OrderMode:
    try:
        return OrderMode(value) if value else OrderMode.DESC
    except ValueError:
        raise BadRequest("orderMode must be asc or desc") from None


def parse_query_text(value: str | None) -> str | None:
    if not value:
        return None
    if len(value) > MAX_QUERY_LENGTH:
        raise BadRequest(f"query longer than {MAX_QUERY_LENGTH} characters")
    return value
