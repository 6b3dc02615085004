"""The whole conversion on the S3 store (moto on loopback): upload, convert in a `flipshelf worker`
process, the zoom pass, and every image read back the way the player asks for it (the book
route answers a redirect to a signed URL of the store). The zoom pass once failed on S3 only
(issue 12): it read page files by local path instead of through the store."""

from __future__ import annotations

import io
import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image
from starlette.testclient import TestClient

from tests.api.test_uploads import upload
from tests.e2e.conftest import E2E, all_finished, poll, running
from tests.integration.storage.conftest import S3_SKIP, S3_URL, s3_credentials

ZOOM_SECONDS = 180.0


@pytest.fixture
def over_s3(tmp_path: Path, database_url: str) -> Iterator[E2E]:
    if not S3_URL:
        pytest.skip(S3_SKIP)
    credentials = s3_credentials()
    url = S3_URL.replace("/tests?", f"/tests/{uuid.uuid4().hex}?")
    with running(
        tmp_path,
        database_url,
        storage_url=url,
        s3_access_key_id=credentials.access_key_id,
        s3_secret_access_key=credentials.secret_access_key,
    ) as parts:
        yield parts


def fetch_as_the_player(client: TestClient, flipbook_hash: str, name: str) -> bytes:
    """GET /f/<book>/<file>; on an object store it redirects to a signed URL, followed here."""
    response = client.get(f"/f/{flipbook_hash}/{name}", follow_redirects=False)
    if response.status_code == 307:
        response = httpx.get(response.headers["location"], timeout=30, trust_env=False)  # type: ignore[assignment]
    assert response.status_code == 200, (name, response.status_code)
    return response.content


def zoomed_manifest(client: TestClient, flipbook_hash: str) -> dict[str, Any]:
    deadline = time.monotonic() + ZOOM_SECONDS
    while True:
        manifest: dict[str, Any] = json.loads(
            fetch_as_the_player(client, flipbook_hash, "manifest.json")
        )
        if manifest.get("zoomReady") == manifest["pageCount"]:
            return manifest
        assert time.monotonic() < deadline, f"no zoom pass in time: {manifest.get('zoomReady')}"
        time.sleep(0.5)


def test_a_pdf_is_converted_and_zoomed_on_s3(over_s3: E2E, documents: dict[str, Path]) -> None:
    _runtime, client, tenant, workers = over_s3
    worker = workers.start()
    answer = upload(client, tenant, "collection.create", documents["text"].read_bytes())
    assert answer["code"] == 20, answer
    collection_hash = answer["data"]["collectionHash"]  # type: ignore[index]
    (item,) = poll(client, tenant, collection_hash, all_finished)["collectionItems"]
    assert item["convertStatus"] == "COMPLETE", item
    manifest = zoomed_manifest(client, item["flipbookHash"])
    assert manifest["pageCount"] == 5
    for page in manifest["pages"]:
        assert set(page["images"]) >= {"thumb", "normal", "zoom"}, page["images"]
        for image in page["images"].values():
            picture = fetch_as_the_player(client, item["flipbookHash"], image["file"])
            with Image.open(io.BytesIO(picture)) as opened:
                assert (opened.width, opened.height) == (image["width"], image["height"])
        assert fetch_as_the_player(client, item["flipbookHash"], page["text"])
    assert worker.poll() is None  # the worker is still running: nothing crashed it
    log = (workers.log_dir / "worker-0.log").read_text()
    assert "zoom pass failed" not in log and "Traceback" not in log, log
