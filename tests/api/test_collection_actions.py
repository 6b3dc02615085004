"""Every non-upload collection action through HTTP, with every code it can answer."""

from __future__ import annotations

from datetime import timedelta

import pytest

from flipshelf.db.conversions import SqlConversions
from flipshelf.domain.collections import CollectionStatus, ConvertStatus
from flipshelf.domain.layout import ImageRole
from flipshelf.runtime import Runtime
from tests.conftest import Api
from tests.support import new_tenant, seed_collection, signed

UNKNOWN = "zzzzzzzzzz"


def test_get_collection_answers_the_seed_shape(api: Api, runtime: Runtime) -> None:
    collection = seed_collection(runtime, api.tenant, title="Lorem ipsum")
    body = api.get("collection.getCollection", collectionHash=collection.hash)
    assert body["code"] == 20 and body["status"] == "OK"
    data = body["data"]
    seed_fields = {
        "collectionHash",
        "collectionTitle",
        "collectionStatus",
        "collectionItems",
        "settings",
    }
    assert seed_fields <= data.keys()
    assert data["collectionTitle"] == "Lorem ipsum"
    assert data["collectionStatus"] == "published"
    assert data["settings"] == {"collectionWidth": "650", "collectionHeight": "385"}
    (item,) = data["collectionItems"]
    assert {"flipbookHash", "flipbookTitle", "extension", "convertStatus"} <= item.keys()
    assert item["convertStatus"] == "COMPLETE" and item["extension"] == "pdf"
    assert len(item["flipbookHash"]) == 32 and len(data["collectionHash"]) == 10
    assert data["logoUrl"] is None and data["backgroundImageUrl"] is None
    assert data["thumbnailUrl"].startswith(f"http://books.test/c/{collection.hash}/")


def test_a_failed_item_carries_its_reason(api: Api, runtime: Runtime) -> None:
    collection = seed_collection(runtime, api.tenant, items=(ConvertStatus.PROCESSING,))
    item = collection.items[0]
    conversions = SqlConversions(runtime.db)
    job = conversions.claim(item.hash, runtime.ports.clock.now(), timedelta(minutes=1))
    assert job is not None
    conversions.finish(
        job, runtime.ports.clock.now(), ConvertStatus.FAILED, error="password-protected PDF"
    )
    data = api.get("collection.getCollection", collectionHash=collection.hash)["data"]
    assert data["collectionItems"][0]["convertStatus"] == "FAILED"
    assert data["collectionItems"][0]["convertError"] == "password-protected PDF"


def test_hash_rules(api: Api, runtime: Runtime) -> None:
    other = new_tenant(runtime, "other")
    foreign = seed_collection(runtime, other)
    for bad in ("short", "UPPERCASE1", "abcdefghi!", "a" * 11):
        assert api.get("collection.getCollection", collectionHash=bad)["code"] == 46
    assert api.get("collection.getCollection", collectionHash=UNKNOWN)["code"] == 46
    assert api.get("collection.getCollection", collectionHash=foreign.hash)["code"] == 43
    assert api.get("collection.getCollection")["code"] == 30


def test_update_changes_fields(api: Api, runtime: Runtime) -> None:
    collection = seed_collection(runtime, api.tenant)
    body = api.get(
        "collection.update",
        collectionHash=collection.hash,
        title="New",
        description="D",
        collectionWidth="800",
        collectionHeight="600",
        collectionStatus="public",
    )
    assert body["code"] == 20
    data = body["data"]
    assert (data["collectionTitle"], data["collectionDescription"]) == ("New", "D")
    assert data["settings"] == {"collectionWidth": "800", "collectionHeight": "600"}
    assert data["collectionStatus"] == "published"
    again = api.get("collection.getCollection", collectionHash=collection.hash)["data"]
    assert again == data


def test_update_without_changes_keeps_everything(api: Api, runtime: Runtime) -> None:
    collection = seed_collection(runtime, api.tenant, title="Keep")
    data = api.get("collection.update", collectionHash=collection.hash)["data"]
    assert data["collectionTitle"] == "Keep"


@pytest.mark.parametrize(
    "field,value",
    [
        ("collectionWidth", "wide"),
        ("collectionWidth", "0"),
        ("collectionHeight", "99999"),
        ("collectionStatus", "secret"),
        ("title", "x" * 256),
        ("collectionWidth", "١٢"),
    ],
)
def test_update_refuses_bad_values_with_40(
    api: Api, runtime: Runtime, field: str, value: str
) -> None:
    collection = seed_collection(runtime, api.tenant, title="Same")
    assert (
        api.get("collection.update", collectionHash=collection.hash, **{field: value})["code"] == 40
    )
    data = api.get("collection.getCollection", collectionHash=collection.hash)["data"]
    assert data["collectionTitle"] == "Same" and data["settings"]["collectionWidth"] == "650"


def test_update_answers_38_while_an_item_converts(api: Api, runtime: Runtime) -> None:
    collection = seed_collection(
        runtime, api.tenant, items=(ConvertStatus.COMPLETE, ConvertStatus.PROCESSING)
    )
    assert api.get("collection.update", collectionHash=collection.hash, title="x")["code"] == 38
    data = api.get("collection.getCollection", collectionHash=collection.hash)["data"]
    assert data["collectionTitle"] == "Spring catalogue"


def test_delete_then_43(api: Api, runtime: Runtime) -> None:
    collection = seed_collection(runtime, api.tenant)
    body = api.get("collection.deleteCollection", collectionHash=collection.hash)
    assert body == {"code": 20, "status": "OK"}
    for action in (
        "collection.getCollection",
        "collection.deleteCollection",
        "collection.update",
        "collection.getEmbed",
        "collection.getStats",
        "collection.deleteLogo",
    ):
        assert api.get(action, collectionHash=collection.hash)["code"] == 43, action
    assert api.get("collection.getList")["data"]["collectionCount"] == 0


def test_another_accounts_collection_is_forbidden_everywhere(api: Api, runtime: Runtime) -> None:
    foreign = seed_collection(runtime, new_tenant(runtime, "other"))
    for action in (
        "collection.update",
        "collection.deleteCollection",
        "collection.getEmbed",
        "collection.getStats",
        "collection.deleteLogo",
    ):
        assert api.get(action, collectionHash=foreign.hash)["code"] == 43, action
    assert (
        api.get("flipbook.delete", collectionHash=foreign.hash, flipbookHash=foreign.items[0].hash)[
            "code"
        ]
        == 43
    )
    assert runtime.ports.collections.get(foreign.hash).deleted_at is None  # type: ignore[union-attr]


def test_get_list_filters_pages_and_orders(api: Api, runtime: Runtime) -> None:
    clock = runtime.ports.clock
    start = clock.now()
    made = []
    for n, (title, status) in enumerate(
        [
            ("banana", CollectionStatus.PUBLISHED),
            ("Apple", CollectionStatus.UNLISTED),
            ("cherry", CollectionStatus.PUBLISHED),
            ("Äpfel", CollectionStatus.PRIVATE),
        ]
    ):
        made.append(
            seed_collection(
                runtime, api.tenant, title=title, status=status, now=start + timedelta(minutes=n)
            )
        )
    seed_collection(runtime, new_tenant(runtime, "other"), title="apple of another")

    everything = api.get("collection.getList")["data"]
    assert everything["collectionCount"] == 4
    assert [c["collectionTitle"] for c in everything["collections"]] == [
        "Äpfel",
        "cherry",
        "Apple",
        "banana",
    ]  # newest first by default

    by_title = api.get("collection.getList", orderBy="title", orderMode="asc")["data"]
    assert [c["collectionTitle"] for c in by_title["collections"]] == [
        "Apple",
        "banana",
        "cherry",
        "Äpfel",
    ]

    published = api.get("collection.getList", collectionStatus="public")["data"]
    assert {c["collectionTitle"] for c in published["collections"]} == {"banana", "cherry"}

    found = api.get("collection.getList", query="APPLE")["data"]
    assert [c["collectionTitle"] for c in found["collections"]] == ["Apple"]
    assert api.get("collection.getList", query="äPFEL")["data"]["collectionCount"] == 1
    assert api.get("collection.getList", query="%")["data"]["collectionCount"] == 0

    window = api.get("collection.getList", **{"from": "1", "to": "3"})["data"]
    assert window["collectionCount"] == 4
    assert [c["collectionTitle"] for c in window["collections"]] == ["cherry", "Apple"]
    assert api.get("collection.getList", **{"from": "9"})["data"]["collections"] == []


@pytest.mark.parametrize(
    "params",
    [
        {"from": "-1"},
        {"from": "x"},
        {"from": "5", "to": "2"},
        {"orderBy": "size"},
        {"orderMode": "up"},
        {"collectionStatus": "gone"},
    ],
)
def test_get_list_refuses_bad_parameters(api: Api, params: dict[str, str]) -> None:
    assert api.get("collection.getList", **params)["code"] == 40


def test_get_list_caps_a_page_at_500(api: Api, runtime: Runtime) -> None:
    from flipshelf.domain.listing import page_window

    assert page_window("0", "100000") == (0, 500)
    assert api.get("collection.getList", **{"from": "0", "to": "100000"})["code"] == 20


def test_get_embed(api: Api, runtime: Runtime) -> None:
    collection = seed_collection(runtime, api.tenant)
    code = api.get("collection.getEmbed", collectionHash=collection.hash)["data"]["embedCode"]
    assert code.startswith(f'<iframe src="http://books.test/widget/{collection.hash}?')
    assert 'width="650" height="385"' in code and "startBook=1&amp;startPage=1" in code

    code = api.get(
        "collection.getEmbed",
        collectionHash=collection.hash,
        https="true",
        startPage="3",
        startBook="2",
        width="400",
        height="300",
    )["data"]["embedCode"]
    assert f'src="https://books.test/widget/{collection.hash}?startBook=2&amp;startPage=3"' in code
    assert 'width="400" height="300"' in code

    code = api.get("collection.getEmbed", collectionHash=collection.hash, responsive="true")[
        "data"
    ]["embedCode"]
    assert "width:100%" in code and "padding-bottom:59.2308%" in code


def test_the_default_embed_shrinks_to_a_phone_and_is_titled_by_the_collection(
    api: Api, runtime: Runtime
) -> None:
    collection = seed_collection(runtime, api.tenant, title='Spring "sale" <b>')
    data = api.get("collection.getEmbed", collectionHash=collection.hash)["data"]
    code = data["embedCode"]
    # The documented width and height still size it on a wide page; on a narrower one it
    # shrinks with its container, keeping its shape, instead of pushing the page sideways.
    assert 'width="650" height="385"' in code
    assert "width:100%;max-width:650px;height:auto;aspect-ratio:650/385" in code
    assert 'title="Flipbook: Spring &quot;sale&quot; &lt;b&gt;"' in code
    assert 'allow="fullscreen; clipboard-write; web-share"' in code
    # An extension: the collection's public page, for search engines and sharing.
    assert data["pageUrl"] == f"http://books.test/c/{collection.hash}"


@pytest.mark.parametrize(
    ("status", "page"),
    [
        (CollectionStatus.PUBLISHED, True),
        (CollectionStatus.UNLISTED, True),
        (CollectionStatus.PRIVATE, False),
        (CollectionStatus.EDITABLE, False),
    ],
)
def test_get_embed_names_the_public_page_only_where_there_is_one(
    api: Api, runtime: Runtime, status: CollectionStatus, page: bool
) -> None:
    collection = seed_collection(runtime, api.tenant, status=status)
    data = api.get("collection.getEmbed", collectionHash=collection.hash)["data"]
    assert ("pageUrl" in data) is page


@pytest.mark.parametrize(
    "params",
    [
        {"https": "yes"},
        {"startPage": "0"},
        {"startBook": "-2"},
        {"width": "0"},
        {"height": "x"},
    ],
)
def test_get_embed_refuses_bad_values(api: Api, runtime: Runtime, params: dict[str, str]) -> None:
    collection = seed_collection(runtime, api.tenant)
    assert api.get("collection.getEmbed", collectionHash=collection.hash, **params)["code"] == 40


def test_delete_logo(api: Api, runtime: Runtime) -> None:
    collection = seed_collection(runtime, api.tenant)
    key = f"collections/{collection.hash}/logo.png"
    runtime.ports.files.put_bytes(key, b"png")  # type: ignore[attr-defined]
    logo = runtime.ports.files.local_path(key)
    assert logo is not None and logo.exists()
    runtime.ports.collections.replace_image(
        collection.id, ImageRole.LOGO, key, runtime.ports.clock.now()
    )
    assert api.get("collection.getCollection", collectionHash=collection.hash)["data"]["logoUrl"]
    body = api.get("collection.deleteLogo", collectionHash=collection.hash)
    assert body["code"] == 20 and body["data"]["logoUrl"] is None
    assert not logo.exists()
    assert api.get("collection.deleteLogo", collectionHash=collection.hash)["code"] == 20


def test_flipbook_delete(api: Api, runtime: Runtime) -> None:
    collection = seed_collection(
        runtime, api.tenant, items=(ConvertStatus.COMPLETE, ConvertStatus.COMPLETE)
    )
    first, second = collection.items
    assert (
        api.get("flipbook.delete", collectionHash=collection.hash, flipbookHash="0" * 32)["code"]
        == 40
    )
    assert (
        api.get("flipbook.delete", collectionHash=collection.hash, flipbookHash="bad")["code"] == 40
    )
    assert api.get("flipbook.delete", collectionHash=collection.hash)["code"] == 30
    assert api.get("flipbook.delete", collectionHash=UNKNOWN, flipbookHash=first.hash)["code"] == 46
    assert api.get("flipbook.delete", collectionHash=collection.hash, flipbookHash=first.hash) == {
        "code": 20,
        "status": "OK",
    }
    items = api.get("collection.getCollection", collectionHash=collection.hash)["data"][
        "collectionItems"
    ]
    assert [i["flipbookHash"] for i in items] == [second.hash]
    assert (
        api.get("flipbook.delete", collectionHash=collection.hash, flipbookHash=second.hash)["code"]
        == 37
    )


def test_every_action_also_answers_xml_and_jsonp(api: Api, runtime: Runtime) -> None:
    import json
    import re
    import xml.etree.ElementTree as ET

    collection = seed_collection(runtime, api.tenant)
    calls = [
        ("collection.getCollection", {}),
        ("collection.update", {"title": "T"}),
        ("collection.getList", {}),
        ("collection.getEmbed", {}),
        ("collection.getStats", {"includePageStats": "true"}),
        ("user.getStats", {}),
        ("collection.deleteLogo", {}),
    ]
    for action, extra in calls:
        params = {"collectionHash": collection.hash, **extra}
        as_json = api.get(action, **params)
        xml_text = api.client.get(
            "/v1/", params=signed(api.tenant.pair, action, format="xml", **params)
        ).content
        assert ET.fromstring(xml_text).findtext("code") == "20", action
        jsonp = api.client.get(
            "/v1/", params=signed(api.tenant.pair, action, format="jsonp", callback="cb", **params)
        ).text
        match = re.fullmatch(r"/\*\*/cb\((.*)\);", jsonp, re.S)
        assert match, action
        answer = json.loads(match.group(1))
        # update bumps the version (and so the URLs) on every call: compare its shape only.
        assert (
            answer == as_json if action != "collection.update" else answer.keys() == as_json.keys()
        )


def test_rtl_is_a_collection_setting(api: Api, runtime: Runtime) -> None:
    collection = seed_collection(runtime, api.tenant)
    assert (
        api.get("collection.getCollection", collectionHash=collection.hash)["data"]["rtl"] is False
    )
    data = api.get("collection.update", collectionHash=collection.hash, rtl="true")["data"]
    assert data["rtl"] is True
    assert api.get("collection.update", collectionHash=collection.hash, rtl="maybe")["code"] == 40
    again = api.get("collection.update", collectionHash=collection.hash, title="x")["data"]
    assert again["rtl"] is True  # untouched when not given
    assert (
        api.get("collection.update", collectionHash=collection.hash, rtl="0")["data"]["rtl"]
        is False
    )
