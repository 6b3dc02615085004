"""The player page over HTTP: who gets it, with which headers, and the files behind it."""

from __future__ import annotations

import html
import json
import re
from datetime import timedelta

from starlette.testclient import TestClient

from flipshelf.domain.collections import Collection, CollectionChanges, CollectionStatus
from flipshelf.runtime import Runtime
from flipshelf.security.links import SignedLinks
from tests.support import Tenant, seed_collection


def config_of(page: str) -> dict[str, object]:
    found = re.search(r'<script type="application/json" id="flipshelf-config">(.*?)</script>', page)
    assert found is not None
    config: dict[str, object] = json.loads(found.group(1))
    return config


def link(runtime: Runtime, collection: Collection, minutes: float) -> str:
    expires = runtime.ports.clock.now() + timedelta(minutes=minutes)
    return SignedLinks(runtime.server_key, "collection").query(collection.hash, expires)


def put_book_file(runtime: Runtime, flipbook_hash: str, name: str, data: bytes) -> None:
    path = runtime.ports.files.local_path(f"flipbooks/{flipbook_hash}/book/{name}")
    assert path is not None
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def test_a_published_collection_gets_its_player_with_strict_headers(
    client: TestClient, runtime: Runtime, tenant: Tenant
) -> None:
    collection = seed_collection(runtime, tenant)
    response = client.get(f"/widget/{collection.hash}?startBook=1&startPage=4")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "frame-ancestors *" in policy
    assert "unsafe-inline" not in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    # No inline script and no event-handler attributes: the policy would refuse them anyway.
    assert "<script>" not in response.text
    assert not re.search(r"\son[a-z]+\s*=", response.text)
    config = config_of(response.text)
    assert config["startPage"] == 4 and config["collection"] == collection.hash
    assert len(config["books"]) == 1  # type: ignore[arg-type]


def test_unlisted_is_public_and_drafts_deleted_and_unknown_are_not_found(
    client: TestClient, runtime: Runtime, tenant: Tenant
) -> None:
    unlisted = seed_collection(runtime, tenant, status=CollectionStatus.UNLISTED)
    draft = seed_collection(runtime, tenant, status=CollectionStatus.EDITABLE)
    gone = seed_collection(runtime, tenant)
    runtime.ports.collections.mark_deleted(gone.id, runtime.ports.clock.now())
    assert client.get(f"/widget/{unlisted.hash}").status_code == 200
    for target in (draft.hash, gone.hash, "zzzzzzzzzz", "not-a-hash!"):
        response = client.get(f"/widget/{target}")
        assert response.status_code == 404, target
        assert "Flipbook not found" in response.text
        assert response.headers["x-content-type-options"] == "nosniff"


def test_a_private_collection_needs_a_valid_unexpired_link(
    client: TestClient, runtime: Runtime, tenant: Tenant
) -> None:
    private = seed_collection(runtime, tenant, status=CollectionStatus.PRIVATE)
    url = f"/widget/{private.hash}"
    assert client.get(url).status_code == 403
    good = link(runtime, private, 30)
    response = client.get(f"{url}?{good}")
    assert response.status_code == 200
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "no-store" in response.headers["cache-control"]
    assert config_of(response.text)["query"] == good
    expired = client.get(f"{url}?{link(runtime, private, -1)}")
    assert expired.status_code == 410 and "expired" in expired.text
    tampered = good[:-1] + ("0" if good[-1] != "0" else "1")
    assert client.get(f"{url}?{tampered}").status_code == 403
    other = seed_collection(runtime, tenant, status=CollectionStatus.PRIVATE)
    assert client.get(f"/widget/{other.hash}?{good}").status_code == 403  # signed for another


def test_a_private_collections_files_open_only_with_its_link(
    client: TestClient, runtime: Runtime, tenant: Tenant
) -> None:
    private = seed_collection(runtime, tenant, status=CollectionStatus.PRIVATE)
    flipbook = private.items[0].hash
    put_book_file(runtime, flipbook, "manifest.json", b'{"version": 1}')
    put_book_file(runtime, flipbook, "pages/0001-normal.jpg", b"\xff\xd8jpeg")
    good = link(runtime, private, 30)
    for name in ("manifest.json", "pages/0001-normal.jpg"):
        assert client.get(f"/f/{flipbook}/{name}").status_code == 404
        assert client.get(f"/f/{flipbook}/{name}?{link(runtime, private, -1)}").status_code == 404
        opened = client.get(f"/f/{flipbook}/{name}?{good}")
        assert opened.status_code == 200
        assert opened.headers["cache-control"].startswith("private")
    # Once published, the same files are public and the signature is ignored.
    runtime.ports.collections.update(
        private.id, CollectionChanges(status=CollectionStatus.PUBLISHED), runtime.ports.clock.now()
    )
    public = client.get(f"/f/{flipbook}/pages/0001-normal.jpg")
    assert public.status_code == 200 and "immutable" in public.headers["cache-control"]


def test_titles_reach_the_page_as_text_only(
    client: TestClient, runtime: Runtime, tenant: Tenant
) -> None:
    hostile = '<script>alert(1)</script><img src=x onerror=alert(2)>"&'
    collection = seed_collection(runtime, tenant, title=hostile, description=hostile)
    page = client.get(f"/widget/{collection.hash}").text
    assert "<script>alert" not in page and "<img src=x" not in page
    assert html.escape(hostile, quote=False) in page.replace("&#34;", '"').replace("&quot;", '"')
    assert config_of(page)["title"] == hostile


def test_the_player_files_are_served_with_nosniff(client: TestClient) -> None:
    for path in (
        "/static/player/bundle.js",
        "/static/player/player.js",
        "/static/player/player.css",
        "/static/vendor/page-flip.browser.js",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["x-content-type-options"] == "nosniff"
    assert "javascript" in client.get("/static/player/book.js").headers["content-type"]
    assert client.get("/static/../widget.py").status_code == 404


def test_text_is_compressed_and_versioned_files_are_cached_for_good(
    client: TestClient, runtime: Runtime, tenant: Tenant
) -> None:
    collection = seed_collection(runtime, tenant)
    flipbook = collection.items[0].hash
    manifest = json.dumps({"version": 1, "pages": [{"number": n} for n in range(500)]})
    put_book_file(runtime, flipbook, "manifest.json", manifest.encode())
    put_book_file(runtime, flipbook, "pages/0001-normal.jpg", b"\xff\xd8" + b"\0" * 5000)
    gzip = {"Accept-Encoding": "gzip"}
    answer = client.get(f"/f/{flipbook}/manifest.json", headers=gzip)
    assert answer.headers["content-encoding"] == "gzip"
    assert int(answer.headers["content-length"]) < len(manifest) / 5
    assert answer.json()["pages"][499] == {"number": 499}  # the client decodes it
    assert "accept-encoding" in answer.headers["vary"].lower()
    image = client.get(f"/f/{flipbook}/pages/0001-normal.jpg", headers=gzip)
    assert "content-encoding" not in image.headers  # JPEG does not compress again
    assert "immutable" in image.headers["cache-control"]
    plain = client.get(f"/f/{flipbook}/manifest.json", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.text == manifest
    page = client.get(f"/widget/{collection.hash}", headers=gzip)
    script = re.search(r'src="\.\./static/(player/bundle\.js\?v=[0-9a-f]+)"', page.text)
    assert script is not None
    versioned = client.get(f"/static/{script.group(1)}", headers=gzip)
    assert versioned.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert versioned.headers["content-encoding"] == "gzip"
    unversioned = client.get("/static/player/bundle.js")
    assert "immutable" not in unversioned.headers["cache-control"]
    assert client.head(f"/static/{script.group(1)}").status_code == 200


def test_the_page_preloads_the_first_manifest_and_page_image(
    client: TestClient, runtime: Runtime, tenant: Tenant
) -> None:
    """On a slow network the image would otherwise wait for the scripts, then the manifest."""
    collection = seed_collection(runtime, tenant)
    flipbook = collection.items[0].hash
    page = client.get(f"/widget/{collection.hash}?startPage=3").text
    assert f'<link rel="preload" href="../f/{flipbook}/manifest.json" as="fetch"' in page
    assert f'<link rel="preload" href="../f/{flipbook}/pages/0003-normal.jpg" as="image"' in page
    private = seed_collection(runtime, tenant, status=CollectionStatus.PRIVATE)
    signed = link(runtime, private, 30)
    page = client.get(f"/widget/{private.hash}?{signed}").text
    query = html.escape(signed)
    assert f'pages/0001-normal.jpg?{query}" as="image"' in page
