"""Zoom images drawn when a reader first asks (issue 16), through the app on the local store:
drawn once and kept, readable exactly as the book's other files are, bounded."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from starlette.testclient import TestClient

from flipshelf.domain import layout
from flipshelf.domain.collections import CollectionChanges, CollectionStatus
from flipshelf.domain.zoom import ZOOM_WIDTHS
from flipshelf.jobs.conversion_job import run_conversion
from flipshelf.runtime import Runtime, conversion_context
from flipshelf.settings import Settings
from flipshelf.web.zoom import ZoomRoute
from tests.conftest import make_settings
from tests.integration.test_jobs import _upload
from tests.support import Tenant

DEADLINE = 60.0


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return make_settings(tmp_path, database_url, zoom_draw_waiting=2)


def _converted(runtime: Runtime, tenant: Tenant, document: Path, tmp_path: Path) -> tuple[int, str]:
    flipbook = _upload(runtime, tenant, document, tmp_path)
    assert run_conversion(conversion_context(runtime), flipbook) is True
    collection = runtime.ports.collections.of_flipbook(flipbook)
    assert collection is not None
    return collection.id, flipbook


def _zoom(client: TestClient) -> ZoomRoute:
    route: ZoomRoute = client.app.state.zoom  # type: ignore[attr-defined]
    return route


def _jpeg(answer: Any) -> Image.Image:
    assert answer.status_code == 200, (answer.status_code, answer.text)
    assert answer.headers["content-type"] == "image/jpeg"
    return Image.open(io.BytesIO(answer.content))


def test_a_zoom_image_is_drawn_once_then_served_from_the_store(
    client: TestClient, runtime: Runtime, tenant: Tenant, documents: dict[str, Path], tmp_path: Path
) -> None:
    _collection, flipbook = _converted(runtime, tenant, documents["text"], tmp_path)
    zoom = _zoom(client)
    key = layout.zoom_image(flipbook, 2, ZOOM_WIDTHS[0])
    stored = runtime.ports.files.local_path(key)
    assert stored is not None and not stored.exists()
    first = client.get(f"/f/{flipbook}/zoom/2-{ZOOM_WIDTHS[0]}.jpg")
    with _jpeg(first) as image:
        assert image.width == ZOOM_WIDTHS[0]
        assert image.mode == "L"  # a colourless page, in grayscale as its normal image
    assert stored.is_file() and zoom.images.drawn == 1
    assert "immutable" in first.headers["cache-control"]
    again = client.get(f"/f/{flipbook}/zoom/2-{ZOOM_WIDTHS[0]}.jpg")
    assert again.content == first.content
    assert zoom.images.drawn == 1  # answered from the store
    with _jpeg(client.get(f"/f/{flipbook}/zoom/2-{ZOOM_WIDTHS[-1]}.jpg")) as large:
        assert large.width == ZOOM_WIDTHS[-1]
    assert zoom.images.drawn == 2


def test_a_bad_page_or_width_is_not_found(
    client: TestClient, runtime: Runtime, tenant: Tenant, documents: dict[str, Path], tmp_path: Path
) -> None:
    _collection, flipbook = _converted(runtime, tenant, documents["text"], tmp_path)
    for name in ("0-1200", "6-1200", "99999999-1200", "1-1000", "1-0", "1-36000", "x-1200"):
        answer = client.get(f"/f/{flipbook}/zoom/{name}.jpg")
        assert answer.status_code == 404, name
        assert "Traceback" not in answer.text
    assert client.get(f"/f/{'0' * 32}/zoom/1-1200.jpg").status_code == 404
    assert client.get("/f/not-a-hash/zoom/1-1200.jpg").status_code == 404
    assert _zoom(client).images.drawn == 0


def test_a_zoom_image_is_readable_exactly_as_the_books_other_files(
    client: TestClient, runtime: Runtime, tenant: Tenant, documents: dict[str, Path], tmp_path: Path
) -> None:
    collection_id, flipbook = _converted(runtime, tenant, documents["text"], tmp_path)
    now = runtime.ports.clock.now()

    def codes() -> tuple[int, int]:
        manifest = client.get(f"/f/{flipbook}/manifest.json").status_code
        return manifest, client.get(f"/f/{flipbook}/zoom/1-1200.jpg").status_code

    assert codes() == (200, 200)
    for status in (CollectionStatus.EDITABLE, CollectionStatus.PRIVATE):
        runtime.ports.collections.update(collection_id, CollectionChanges(status=status), now)
        assert codes() == (404, 404), status
    collection = runtime.ports.collections.of_flipbook(flipbook)
    assert collection is not None
    query = runtime.ports.collection_links.query(collection.hash, now + timedelta(hours=1))
    answer = client.get(f"/f/{flipbook}/zoom/3-1200.jpg?{query}")
    assert answer.status_code == 200 and answer.headers["cache-control"].startswith("private")
    forged = query.rsplit("=", 1)[0] + "=forged"
    assert client.get(f"/f/{flipbook}/zoom/3-1200.jpg?{forged}").status_code == 404
    expired = runtime.ports.collection_links.query(collection.hash, now - timedelta(hours=1))
    manifest = client.get(f"/f/{flipbook}/manifest.json?{expired}").status_code
    assert client.get(f"/f/{flipbook}/zoom/3-1200.jpg?{expired}").status_code == manifest


def test_readers_asking_at_once_share_one_drawing_and_too_many_are_told_to_come_back(
    client: TestClient, runtime: Runtime, tenant: Tenant, documents: dict[str, Path], tmp_path: Path
) -> None:
    _collection, flipbook = _converted(runtime, tenant, documents["text"], tmp_path)
    zoom = _zoom(client)
    release = threading.Event()
    real = zoom.images._drawing

    class Held:
        def draw_zoom(self, *args: Any) -> object:
            assert release.wait(DEADLINE)
            return real.draw_zoom(*args)

        def close(self) -> None:
            real.close()

    zoom.images._drawing = Held()  # type: ignore[assignment]

    def get(name: str) -> Callable[[], Any]:
        return lambda: client.get(f"/f/{flipbook}/zoom/{name}.jpg")

    with ThreadPoolExecutor(6) as pool:
        same = [pool.submit(get("4-2400")) for _ in range(4)]
        other = pool.submit(get("5-2400"))
        _until(lambda: len(zoom.drawing) == 2)  # two different images: the limit here
        busy = client.get(f"/f/{flipbook}/zoom/1-2400.jpg")
        assert busy.status_code == 503 and busy.headers["retry-after"].isdigit()
        release.set()
        answers = [future.result(DEADLINE) for future in same]
        assert other.result(DEADLINE).status_code == 200
    assert {answer.status_code for answer in answers} == {200}
    assert len({answer.content for answer in answers}) == 1
    assert zoom.images.drawn == 2  # four readers of page 4, one drawing
    assert client.get(f"/f/{flipbook}/zoom/1-2400.jpg").status_code == 200  # room again


def _until(done: Callable[[], bool]) -> None:
    deadline = time.monotonic() + DEADLINE
    while not done():
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.01)
