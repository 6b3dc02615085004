"""The widget's pure rules: who may open the player, where it opens, how data reaches the page."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from flipshelf.domain.collections import Collection, CollectionStatus, ConvertStatus, Flipbook
from flipshelf.player.config import Opening
from flipshelf.player.config import player_config as typed_config
from flipshelf.player.escaping import script_json
from flipshelf.web.widget import content_security_policy, is_rtl

NOW = datetime(2026, 11, 23, tzinfo=UTC)


def book(position: int, status: ConvertStatus = ConvertStatus.COMPLETE) -> Flipbook:
    return Flipbook(
        id=position,
        hash=f"{position:032d}",
        collection_id=1,
        position=position,
        title=f"book {position}",
        extension="pdf",
        convert_status=status,
        convert_error=None,
        page_count=5,
        pages_ready=5,
        created_at=NOW,
    )


def collection(
    status: CollectionStatus = CollectionStatus.PUBLISHED, **changes: object
) -> Collection:
    base = Collection(
        id=1,
        hash="abcdefghij",
        account_id=1,
        title="Spring",
        description="",
        status=status,
        width=650,
        height=385,
        logo_key=None,
        background_key=None,
        version=3,
        created_at=NOW,
        updated_at=NOW,
        items=(book(1), book(2)),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def player_config(collection: Collection, opening: Opening) -> dict[str, Any]:
    """The configuration as the player script reads it."""
    return typed_config(collection, opening).to_json()


OPEN = Opening(start_book=1, start_page=1, rtl=False, signed_query="")


def test_start_book_counts_the_collection_items_and_skips_failed_ones() -> None:
    items = (book(1, ConvertStatus.FAILED), book(2), book(3))
    config = player_config(collection(items=items), replace(OPEN, start_book=3))
    assert [b["hash"] for b in config["books"]] == [f"{2:032d}", f"{3:032d}"]
    assert config["startBook"] == 1  # the third item is the second readable book
    beyond = player_config(collection(items=items), replace(OPEN, start_book=9))
    assert beyond["startBook"] == 1  # past the end: the last book


def test_a_failed_start_book_opens_the_first_readable_one() -> None:
    items = (book(1, ConvertStatus.FAILED), book(2))
    assert player_config(collection(items=items), OPEN)["startBook"] == 0


def test_private_collections_carry_their_link_on_every_url() -> None:
    opening = replace(OPEN, signed_query="exp=99&sig=" + "a" * 64)
    config = player_config(collection(logo_key="k/logo.png", background_key="k/bg.jpg"), opening)
    assert config["query"] == opening.signed_query
    assert config["events"].endswith("?" + opening.signed_query)
    assert config["logo"].endswith("&" + opening.signed_query)
    assert config["background"].endswith("&" + opening.signed_query)


def test_config_json_cannot_close_its_script_block() -> None:
    hostile = '</script><script>alert(1)</script><!-- & "quotes"'
    text = script_json({"title": hostile})
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == {"title": hostile}


def test_rtl_from_the_collection_or_the_query() -> None:
    assert not is_rtl(collection(), None)
    assert is_rtl(collection(), "1") and is_rtl(collection(), "true")
    assert not is_rtl(collection(), "0")


def test_the_policy_allows_only_this_origin_and_any_embedder() -> None:
    policy = content_security_policy()
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "frame-ancestors *" in policy
    with_store = content_security_policy("https://bucket.example.net")
    assert "img-src 'self' https://bucket.example.net" in with_store
