"""The one rule of who may read a collection (domain/access.py), over every collection state and
every way a reader's link can check out."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from flipshelf.domain.access import Access, LinkCheck, needs_link, reader_access
from flipshelf.domain.collections import Collection, CollectionStatus

NOW = datetime(2026, 11, 23, tzinfo=UTC)
BASE = Collection(
    1, "abcdefghij", 1, "Spring", "", CollectionStatus.PUBLISHED, 650, 385, None, None, 3,
    NOW, NOW,
)  # fmt: skip

STATES: dict[str, Collection | None] = {
    "published": BASE,
    "unlisted": replace(BASE, status=CollectionStatus.UNLISTED),
    "draft": replace(BASE, status=CollectionStatus.EDITABLE),
    "private": replace(BASE, status=CollectionStatus.PRIVATE),
    "deleted published": replace(BASE, deleted_at=NOW),
    "deleted private": replace(BASE, status=CollectionStatus.PRIVATE, deleted_at=NOW),
    "no such hash": None,
}
OK, NO, NF, EX = Access.OPEN, Access.FORBIDDEN, Access.NOT_FOUND, Access.EXPIRED
#                    link: VALID EXPIRED INVALID
EXPECTED = {
    "published": (OK, OK, OK),
    "unlisted": (OK, OK, OK),
    "draft": (NF, NF, NF),
    "private": (OK, EX, NO),
    "deleted published": (NF, NF, NF),
    "deleted private": (NF, NF, NF),
    "no such hash": (NF, NF, NF),
}
LINKS = (LinkCheck.VALID, LinkCheck.EXPIRED, LinkCheck.INVALID)


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("link", LINKS)
def test_who_may_read_a_collection(state: str, link: LinkCheck) -> None:
    expected = EXPECTED[state][LINKS.index(link)]
    assert reader_access(STATES[state], link) is expected


def test_every_state_of_a_collection_is_in_the_table() -> None:
    assert set(EXPECTED) == set(STATES)
    covered = {c.status for c in STATES.values() if c is not None}
    assert covered == set(CollectionStatus)


@pytest.mark.parametrize("state", STATES)
def test_the_link_is_checked_only_where_it_decides(state: str) -> None:
    outcomes = {reader_access(STATES[state], link) for link in LINKS}
    assert needs_link(STATES[state]) is (len(outcomes) > 1)
