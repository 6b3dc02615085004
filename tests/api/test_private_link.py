"""collection.getPrivateLink (an extension): a signed, expiring player link for the owner."""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from starlette.testclient import TestClient

from flipshelf.domain.access import LinkCheck
from flipshelf.domain.collections import CollectionStatus
from flipshelf.domain.links import DEFAULT_LINK_SECONDS
from flipshelf.runtime import Runtime
from flipshelf.security.links import SignedLinks
from tests.conftest import Api
from tests.support import FixedClock, new_tenant, seed_collection


def _parts(url: str) -> tuple[str, str, str, str]:
    parts = urlsplit(url)
    query = parse_qs(parts.query, strict_parsing=True)
    assert set(query) == {"exp", "sig"}
    return f"{parts.scheme}://{parts.netloc}", parts.path, query["exp"][0], query["sig"][0]


def test_the_link_is_the_widget_url_signed_for_a_week_by_default(
    api: Api, runtime: Runtime, clock: FixedClock
) -> None:
    private = seed_collection(runtime, api.tenant, status=CollectionStatus.PRIVATE)
    body = api.get("collection.getPrivateLink", collectionHash=private.hash)
    assert body["code"] == 20
    assert set(body["data"]) == {"url"}
    base, path, exp, sig = _parts(body["data"]["url"])
    assert (base, path) == ("http://books.test", f"/widget/{private.hash}")
    assert int(exp) == int(clock.now().timestamp()) + DEFAULT_LINK_SECONDS
    links = SignedLinks(runtime.server_key, "collection")
    assert links.check(private.hash, exp, sig, clock.now()) is LinkCheck.VALID
    assert links.check("0123456789", exp, sig, clock.now()) is LinkCheck.INVALID
    later = clock.now() + timedelta(seconds=DEFAULT_LINK_SECONDS)
    assert links.check(private.hash, exp, sig, later) is LinkCheck.EXPIRED


@pytest.mark.parametrize("seconds", [60, 3600, 31_536_000])
def test_expires_in_sets_the_life_of_the_link(
    api: Api, runtime: Runtime, clock: FixedClock, seconds: int
) -> None:
    private = seed_collection(runtime, api.tenant, status=CollectionStatus.PRIVATE)
    body = api.get("collection.getPrivateLink", collectionHash=private.hash, expiresIn=seconds)
    _, _, exp, _ = _parts(body["data"]["url"])
    assert int(exp) == int(clock.now().timestamp()) + seconds


@pytest.mark.parametrize("value", ["59", "31536001", "-60", "1e3", "3600.0", "soon", "٣٦٠٠"])
def test_a_bad_expiry_answers_40(api: Api, runtime: Runtime, value: str) -> None:
    private = seed_collection(runtime, api.tenant, status=CollectionStatus.PRIVATE)
    body = api.get("collection.getPrivateLink", collectionHash=private.hash, expiresIn=value)
    assert body["code"] == 40


def test_ownership_and_hash_errors_come_first(api: Api, runtime: Runtime) -> None:
    foreign = seed_collection(runtime, new_tenant(runtime, "other"))
    deleted = seed_collection(runtime, api.tenant)
    runtime.ports.collections.mark_deleted(deleted.id, runtime.ports.clock.now())
    assert api.get("collection.getPrivateLink")["code"] == 30
    assert api.get("collection.getPrivateLink", collectionHash="NOPE")["code"] == 46
    assert api.get("collection.getPrivateLink", collectionHash="0123456789")["code"] == 46
    for collection in (foreign, deleted):
        body = api.get("collection.getPrivateLink", collectionHash=collection.hash, expiresIn="1")
        assert body["code"] == 43


def test_any_status_gets_a_link(api: Api, runtime: Runtime) -> None:
    for status in CollectionStatus:
        collection = seed_collection(runtime, api.tenant, status=status)
        body = api.get("collection.getPrivateLink", collectionHash=collection.hash)
        assert body["code"] == 20, status


def test_the_links_query_lets_the_player_count_reader_events(
    api: Api, client: TestClient, runtime: Runtime, clock: FixedClock
) -> None:
    private = seed_collection(runtime, api.tenant, status=CollectionStatus.PRIVATE)
    url = api.get("collection.getPrivateLink", collectionHash=private.hash, expiresIn=600)["data"][
        "url"
    ]
    query = urlsplit(url).query
    event = json.dumps({"collection": private.hash, "session": "private-1", "type": "impression"})
    headers = {"Content-Type": "text/plain"}
    assert client.post(f"/events?{query}", content=event, headers=headers).status_code == 204
    clock.advance(seconds=600)
    event = event.replace("impression", "view")
    assert client.post(f"/events?{query}", content=event, headers=headers).status_code == 404
    stats = api.get("collection.getStats", collectionHash=private.hash)["data"]
    assert (stats["impressions"], stats["views"]) == (1, 0)
