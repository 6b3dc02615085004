"""Zoom images drawn on demand on the S3 store (moto on loopback), the book converted by a real
`flipshelf worker` with the zoom pass off: the route draws from a downloaded copy of the source
(downloaded once for the book's pages), stores the image, and answers a signed-URL redirect as
for every book file; the second request is answered from the store."""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from flipshelf.domain import layout
from flipshelf.web.zoom import ZoomRoute
from tests.api.test_uploads import upload
from tests.e2e.conftest import E2E, all_finished, poll, running
from tests.e2e.test_s3_conversion import fetch_as_the_player
from tests.integration.storage.conftest import S3_SKIP, S3_URL, s3_credentials


@pytest.fixture
def on_demand_s3(tmp_path: Path, database_url: str) -> Iterator[E2E]:
    if not S3_URL:
        pytest.skip(S3_SKIP)
    credentials = s3_credentials()
    with running(
        tmp_path,
        database_url,
        storage_url=S3_URL.replace("/tests?", f"/tests/{uuid.uuid4().hex}?"),
        s3_access_key_id=credentials.access_key_id,
        s3_secret_access_key=credentials.secret_access_key,
        zoom_pass=False,
    ) as parts:
        yield parts


def test_zoom_images_are_drawn_on_demand_and_kept_on_s3(
    on_demand_s3: E2E, documents: dict[str, Path]
) -> None:
    runtime, client, tenant, workers = on_demand_s3
    workers.start()
    answer = upload(client, tenant, "collection.create", documents["text"].read_bytes())
    assert answer["code"] == 20, answer
    collection_hash = answer["data"]["collectionHash"]  # type: ignore[index]
    (item,) = poll(client, tenant, collection_hash, all_finished)["collectionItems"]
    assert item["convertStatus"] == "COMPLETE", item
    flipbook = item["flipbookHash"]
    manifest = json.loads(fetch_as_the_player(client, flipbook, "manifest.json"))
    assert manifest["zoomReady"] == 0  # the worker ran no zoom pass
    assert not any("zoom" in page["images"] for page in manifest["pages"])

    zoom: ZoomRoute = client.app.state.zoom  # type: ignore[attr-defined]
    first = client.get(f"/f/{flipbook}/zoom/1-1200.jpg", follow_redirects=False)
    assert first.status_code == 307 and first.headers["cache-control"] == "no-store"
    picture = fetch_as_the_player(client, flipbook, "zoom/1-1200.jpg")
    with Image.open(io.BytesIO(picture)) as image:
        assert image.format == "JPEG" and image.width == 1200
    assert zoom.images.drawn == 1  # the second request was answered from the store
    with runtime.ports.files.open_read(layout.zoom_image(flipbook, 1, 1200)) as stored:
        assert stored.read() == picture
    assert fetch_as_the_player(client, flipbook, "zoom/2-2400.jpg")[:3] == b"\xff\xd8\xff"
    assert zoom.images.drawn == 2
    cached = list((runtime.settings.data_dir / "work" / "zoom-sources").iterdir())
    assert [path.name for path in cached] == [f"{flipbook}.pdf"]  # one download for both pages
    assert client.get(f"/f/{flipbook}/zoom/6-1200.jpg").status_code == 404
