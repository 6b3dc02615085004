"""Offline packages of books converted without the zoom pass (zoom images drawn on demand): the
full package carries a zoom image of every page, drawn for it unless a reader had it drawn
already; the lean one carries none."""

from __future__ import annotations

import io
import json
from pathlib import Path

from PIL import Image
from starlette.testclient import TestClient

from flipshelf.domain.zoom import PACKAGE_ZOOM_WIDTH
from flipshelf.jobs.package_job import PackageContext
from flipshelf.runtime import Runtime
from tests.integration.test_zoom_route import _converted
from tests.packages.conftest import local, open_zip
from tests.packages.test_package_api import build_all, complete_url, download_lean
from tests.support import Tenant


def test_the_full_package_draws_the_zoom_images_the_lean_one_leaves_out(
    packaging: PackageContext,
    documents: dict[str, Path],
    client: TestClient,
    runtime: Runtime,
    tenant: Tenant,
    tmp_path: Path,
) -> None:
    _collection_id, flipbook = _converted(runtime, tenant, documents["text"], tmp_path)
    collection = runtime.ports.collections.of_flipbook(flipbook)
    assert collection is not None
    # A reader zoomed into page 2 already: the package takes that image, draws the rest.
    assert client.get(f"/f/{flipbook}/zoom/2-{PACKAGE_ZOOM_WIDTH}.jpg").status_code == 200
    full = client.get(local(complete_url(client, tenant, runtime, packaging, collection.hash)))
    assert packaging.zoom is not None and packaging.zoom.drawn == 4  # pages 1, 3, 4, 5
    with open_zip(full.content) as package:
        names = package.namelist()
        zooms = sorted(name for name in names if "/zoom/" in name)
        assert zooms == [f"books/1/zoom/{n}-{PACKAGE_ZOOM_WIDTH}.jpg" for n in range(1, 6)]
        script = package.read("data/1.js").decode()
        manifest = json.loads(script.split(" = ", 1)[1].rstrip(";\n"))["manifest"]
        for page in manifest["pages"]:
            zoom = page["images"]["zoom"]
            assert zoom["file"] == f"zoom/{page['number']}-{PACKAGE_ZOOM_WIDTH}.jpg"
            with Image.open(io.BytesIO(package.read("books/1/" + zoom["file"]))) as image:
                assert (image.width, image.height) == (zoom["width"], zoom["height"])
                assert image.width == PACKAGE_ZOOM_WIDTH
    assert download_lean(client, tenant, collection.hash)["data"] == {"status": "PROCESSING"}
    build_all(runtime, packaging)
    answer = download_lean(client, tenant, collection.hash)["data"]
    assert answer["status"] == "COMPLETE", answer
    with open_zip(client.get(local(answer["resourceUrl"])).content) as package:
        assert not any("/zoom/" in name for name in package.namelist())
        assert "/zoom/" not in package.read("data/1.js").decode()
    assert packaging.zoom.drawn == 4  # the lean package drew nothing
