"""Pure rules on collection fields and listings that real clients brought up (issue 11)."""

from __future__ import annotations

import pytest

from flipshelf.domain.collections import MAX_TITLE_LENGTH, title_from_name
from flipshelf.domain.errors import BadRequest
from flipshelf.domain.listing import OrderBy, parse_order_by


def test_a_title_from_a_file_name_is_never_too_long() -> None:
    assert title_from_name("  Report 2025 ") == "Report 2025"
    assert title_from_name("a\x00b\tc") == "abc"
    long = title_from_name("x" * 1000)
    assert len(long) == MAX_TITLE_LENGTH and long.endswith("\u2026")
    assert title_from_name("x" * MAX_TITLE_LENGTH) == "x" * MAX_TITLE_LENGTH


def test_order_by_name_is_the_title_and_unknown_orders_are_refused() -> None:
    assert parse_order_by("name") is OrderBy.TITLE
    assert parse_order_by("title") is OrderBy.TITLE
    assert parse_order_by(None) is OrderBy.DATE
    with pytest.raises(BadRequest):
        parse_order_by("Name")
