"""Create through HTTP, convert in real worker processes, read the result as a reader does."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from PIL import Image
from starlette.testclient import TestClient

from flipshelf.db.conversions import SqlConversions
from flipshelf.runtime import Runtime
from tests.api.test_uploads import upload
from tests.e2e.conftest import E2E, all_finished, poll, running
from tests.support import Tenant, signed


def read_flipbook(client: TestClient, flipbook_hash: str) -> dict[str, object]:
    """Fetch the manifest and every file it names, checking each is what it claims to be."""
    response = client.get(f"/f/{flipbook_hash}/manifest.json")
    assert response.status_code == 200
    manifest = response.json()
    assert manifest["pagesReady"] == manifest["pageCount"]
    for page in manifest["pages"]:
        for size, image in page["images"].items():
            picture = client.get(f"/f/{flipbook_hash}/{image['file']}")
            assert picture.status_code == 200, (size, image)
            with Image.open(__import__("io").BytesIO(picture.content)) as opened:
                assert (opened.width, opened.height) == (image["width"], image["height"])
        text = client.get(f"/f/{flipbook_hash}/{page['text']}")
        assert text.status_code == 200
    return manifest


def test_a_pdf_becomes_a_readable_flipbook(e2e: E2E, documents: dict[str, Path]) -> None:
    _runtime, client, tenant, workers = e2e
    workers.start()
    answer = upload(client, tenant, "collection.create", documents["text"].read_bytes())
    assert answer["code"] == 20, answer
    collection_hash = answer["data"]["collectionHash"]  # type: ignore[index]
    data = poll(client, tenant, collection_hash, all_finished)
    (item,) = data["collectionItems"]
    assert item["convertStatus"] == "COMPLETE", item
    manifest = read_flipbook(client, item["flipbookHash"])
    assert item["pageCount"] == manifest["pageCount"] == 5
    thumbs = [p["images"]["thumb"]["height"] for p in manifest["pages"]]
    assert all(190 <= h <= 210 for h in thumbs), thumbs
    third = client.get(f"/f/{item['flipbookHash']}/{manifest['pages'][2]['text']}").text
    assert "chinchilla" in third
    assert client.get(data["thumbnailUrl"].replace("http://books.test", "")).status_code == 200


def test_an_image_becomes_a_one_page_flipbook(e2e: E2E, documents: dict[str, Path]) -> None:
    _runtime, client, tenant, workers = e2e
    workers.start()
    answer = upload(client, tenant, "collection.create", documents["png"].read_bytes(), "p.png")
    collection_hash = answer["data"]["collectionHash"]  # type: ignore[index]
    data = poll(client, tenant, collection_hash, all_finished)
    (item,) = data["collectionItems"]
    assert (item["convertStatus"], item["pageCount"], item["extension"]) == ("COMPLETE", 1, "png")
    read_flipbook(client, item["flipbookHash"])


def test_a_broken_pdf_found_only_in_conversion_fails_with_a_reason(
    e2e: E2E, documents: dict[str, Path]
) -> None:
    runtime, client, tenant, workers = e2e
    workers.start()
    # Passes the upload checks (it opens), but the renderer cannot turn it into pages:
    # simulate by deleting the stored source before the worker runs.
    answer = upload(client, tenant, "collection.create", documents["text"].read_bytes())
    item = answer["data"]["collectionItems"][0]  # type: ignore[index]
    source = runtime.ports.files.local_path(f"flipbooks/{item['flipbookHash']}/source.pdf")
    assert source is not None
    source.write_bytes(b"%PDF-1.4\n% nothing here\n")
    data = poll(client, tenant, answer["data"]["collectionHash"], all_finished)  # type: ignore[index]
    failed = data["collectionItems"][0]
    assert failed["convertStatus"] == "FAILED" and failed["convertError"], failed


class _FileServer:
    """A loopback HTTP server handing out one document, for fileUrl tests."""

    def __init__(self, payload: bytes) -> None:
        body = payload

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/docs/brochure.pdf"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def file_server(documents: dict[str, Path]) -> Iterator[_FileServer]:
    server = _FileServer(documents["text"].read_bytes())
    yield server
    server.close()


def test_file_url_from_an_allowed_loopback_server(
    tmp_path: Path, database_url: str, file_server: _FileServer
) -> None:
    with running(tmp_path, database_url, fetch_allow="127.0.0.1/32") as parts:
        _runtime, client, tenant, workers = parts
        workers.start()
        fields = signed(tenant.pair, "collection.create", fileUrl=file_server.url)
        answer = client.post("/v1/", files={k: (None, v) for k, v in fields.items()}).json()
        assert answer["code"] == 20, answer
        assert answer["data"]["collectionTitle"] == "brochure"
        data = poll(client, tenant, answer["data"]["collectionHash"], all_finished)
        item = data["collectionItems"][0]
        assert item["convertStatus"] == "COMPLETE"
        read_flipbook(client, item["flipbookHash"])


def test_file_url_to_loopback_is_refused_without_the_setting(
    client: TestClient, tenant: Tenant, file_server: _FileServer, runtime: Runtime
) -> None:
    fields = signed(tenant.pair, "collection.create", fileUrl=file_server.url)
    answer = client.post("/v1/", files={k: (None, v) for k, v in fields.items()}).json()
    assert answer["code"] == 40
    fields = signed(tenant.pair, "collection.create", fileUrl="ftp://example.org/a.pdf")
    assert client.post("/v1/", files={k: (None, v) for k, v in fields.items()}).json()["code"] == 40


def test_killing_a_worker_mid_conversion_loses_nothing(
    e2e: E2E, documents: dict[str, Path], tmp_path: Path
) -> None:
    runtime, client, tenant, workers = e2e
    from tests.fixtures.documents.generate import many_pages_pdf

    big = tmp_path / "big.pdf"
    many_pages_pdf(big, 400)
    first = workers.start()
    answer = upload(client, tenant, "collection.create", big.read_bytes())
    collection_hash = answer["data"]["collectionHash"]  # type: ignore[index]
    item_hash = answer["data"]["collectionItems"][0]["flipbookHash"]  # type: ignore[index]

    def started(data: dict[str, object]) -> bool:
        item = data["collectionItems"][0]  # type: ignore[index]
        return bool(item.get("pagesReady"))

    midway = poll(client, tenant, collection_hash, started)
    assert midway["collectionItems"][0]["convertStatus"] == "PROCESSING"
    os.killpg(first.pid, signal.SIGKILL)  # the worker and its renderers, as kill -9 would
    first.wait(timeout=10)
    workers.start()
    data = poll(client, tenant, collection_hash, all_finished, timeout=240)
    item = data["collectionItems"][0]
    assert item["convertStatus"] == "COMPLETE" and item["pageCount"] == 400
    assert SqlConversions(runtime.db).attempts(item_hash) >= 2
    manifest = client.get(f"/f/{item_hash}/manifest.json").json()
    assert manifest["pagesReady"] == 400
