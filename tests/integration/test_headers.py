"""The headers of every kind of answer (issue 11): `nosniff` everywhere, and each route's own
types, caching and download names, as docs/security.md lists them."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from flipshelf.db.conversions import SqlConversions
from flipshelf.domain.collections import ConvertStatus
from flipshelf.jobs.package_job import run_package_build
from flipshelf.runtime import Runtime, package_context
from tests.api.test_uploads import upload
from tests.books import write_book
from tests.support import RecordingQueue, Tenant, signed


def complete(runtime: Runtime, flipbook_hash: str, pages: int) -> None:
    """Marks an uploaded flipbook converted, its files written as the converter names them."""
    write_book(runtime.ports.files, flipbook_hash, pages)
    conversions, now = SqlConversions(runtime.db), runtime.ports.clock.now()
    job = conversions.claim(flipbook_hash, now, timedelta(minutes=1))
    assert job is not None
    conversions.finish(job, now, ConvertStatus.COMPLETE, page_count=pages)


@pytest.fixture
def published(
    client: TestClient, tenant: Tenant, runtime: Runtime, documents: dict[str, Path]
) -> dict[str, str]:
    """A collection with a stored source PDF, converted pages, a logo and a built package."""
    pdf = documents["text"].read_bytes()
    data = upload(client, tenant, "collection.create", pdf, name="Spring.pdf")["data"]
    assert isinstance(data, dict)
    collection_hash = data["collectionHash"]
    flipbook_hash = data["collectionItems"][0]["flipbookHash"]
    complete(runtime, flipbook_hash, 5)
    png = documents["png"].read_bytes()
    logo = upload(client, tenant, "collection.setLogo", png, collectionHash=collection_hash)
    assert logo["code"] == 20, logo
    params = signed(tenant.pair, "collection.downloadHTML", collectionHash=collection_hash)
    assert client.get("/v1/", params=params).json()["data"]["status"] == "PROCESSING"
    queue = runtime.ports.queue
    assert isinstance(queue, RecordingQueue)
    for package_id in queue.packages:
        run_package_build(package_context(runtime), package_id)
    params = signed(tenant.pair, "collection.downloadHTML", collectionHash=collection_hash)
    package = client.get("/v1/", params=params).json()["data"]["resourceUrl"]
    return {"collection": collection_hash, "flipbook": flipbook_hash, "package": package}


def test_every_route_answers_with_nosniff_and_its_own_types(
    client: TestClient, tenant: Tenant, published: dict[str, str]
) -> None:
    c, f = published["collection"], published["flipbook"]
    api = signed(tenant.pair, "collection.getCollection", collectionHash=c)
    json_, text, html = "application/json", "text/plain; charset=utf-8", "text/html; charset=utf-8"
    api_json, forever = "application/json; charset=utf-8", "public, max-age=31536000, immutable"
    hour = "public, max-age=3600"
    pdf_name = f'attachment; filename="spring-{f[:10]}.pdf"'
    zip_name = f'attachment; filename="spring-{c}.zip"'
    # path -> (status, content type, cache control, content disposition or None)
    expected: dict[str, tuple[int, str, str | None, str | None]] = {
        "api json": (200, api_json, "no-store", None),
        "api xml": (200, "application/xml; charset=utf-8", "no-store", None),
        "api jsonp": (200, "application/javascript", "no-store", None),
        "api refusal": (200, api_json, "no-store", None),
        f"/f/{f}/manifest.json": (200, json_, "no-cache", None),
        f"/f/{f}/pages/0001-normal.jpg": (200, "image/jpeg", forever, None),
        f"/f/{f}/text/0001.txt": (200, text, forever, None),
        f"/f/{f}/text/all.json": (200, json_, forever, None),
        f"/f/{f}/source": (200, "application/pdf", "private, no-cache", pdf_name),
        f"/f/{f}/../../etc/passwd": (404, text, None, None),
        f"/c/{c}/thumb.jpg": (200, "image/jpeg", "public, max-age=86400", None),
        f"/c/{c}/logo": (200, "image/png", "public, max-age=86400", None),
        f"/c/{c}/background": (404, text, None, None),
        f"/widget/{c}": (200, html, "no-cache", None),
        "/widget/zzzzzzzzzz": (404, html, "private, no-store", None),
        "/static/player/player.js": (200, "text/javascript; charset=utf-8", hour, None),
        "/static/player/bundle.js": (200, "text/javascript; charset=utf-8", hour, None),
        "/static/player/player.css": (200, "text/css; charset=utf-8", hour, None),
        "package": (200, "application/zip", "private, no-store", zip_name),
        "/packages/1.zip?v=1&exp=1&sig=00": (403, text, "private, no-store", None),
        "/events": (405, text, None, None),
        "/nowhere": (404, text, None, None),
    }
    requests = {
        "api json": ("/v1/", api),
        "api xml": ("/v1/", {**api, "format": "xml"}),
        "api jsonp": ("/v1/", signed(tenant.pair, "user.getStats", format="jsonp", callback="cb")),
        "api refusal": ("/v1/", {**api, "signature": "0" * 32}),
        "package": (published["package"].removeprefix("http://books.test"), None),
    }
    seen = {}
    for name, (status, kind, cache, disposition) in expected.items():
        path, params = requests.get(name, (name, None))
        response = client.get(path, params=params)
        headers = response.headers
        seen[name] = (
            response.status_code,
            headers.get("content-type"),
            headers.get("cache-control"),
            headers.get("content-disposition"),
        )
        assert headers.get("x-content-type-options") == "nosniff", name
    assert seen == expected
    # The reader events endpoint's answers too.
    event = client.post("/events", content=b"{}", headers={"content-type": "application/json"})
    assert event.status_code == 400 and event.headers["x-content-type-options"] == "nosniff"
