"""Packages in object stores: built from and stored in the store; downloaded through a presigned
redirect carrying the file name (S3), or streamed through the app (the in-memory store)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from starlette.testclient import TestClient

from flipshelf.app import create_app
from flipshelf.db.migrate import upgrade
from flipshelf.jobs.package_job import run_package_build
from flipshelf.runtime import Runtime, build_runtime, package_context
from flipshelf.storage import S3Credentials, make_store
from tests.conftest import make_settings
from tests.packages.conftest import download_html, local, open_zip, seed_with_books
from tests.support import FixedClock, RecordingQueue, new_tenant

S3_URL = os.environ.get("FLIPSHELF_TEST_S3_URL", "")


def _store(kind: str) -> object:
    if kind == "memory":
        return make_store("memory://")
    if not S3_URL:
        pytest.skip("S3 not configured: set FLIPSHELF_TEST_S3_URL (scripts/s3-server.sh)")
    parts = urlsplit(S3_URL)
    url = parts._replace(path=f"{parts.path.rstrip('/')}/{uuid.uuid4().hex}").geturl()
    credentials = S3Credentials(
        os.environ.get("FLIPSHELF_TEST_S3_ACCESS_KEY_ID", "testing"),
        os.environ.get("FLIPSHELF_TEST_S3_SECRET_ACCESS_KEY", "testing"),
    )
    return make_store(url, credentials)


@pytest.fixture(params=["memory", "s3"])
def object_runtime(
    request: pytest.FixtureRequest, tmp_path: Path, database_url: str, clock: FixedClock
) -> Iterator[Runtime]:
    store = _store(request.param)
    settings = make_settings(tmp_path, database_url)
    upgrade(settings.resolved_database_url())
    built = build_runtime(settings, clock=clock, queue=RecordingQueue())
    runtime = replace(built, ports=replace(built.ports, files=store))
    yield runtime
    built.db.dispose()


def test_a_package_in_an_object_store_downloads_under_its_name(object_runtime: Runtime) -> None:
    runtime = object_runtime
    tenant = new_tenant(runtime)
    collection = seed_with_books(runtime, tenant, title="Object store")
    context = package_context(runtime)
    with TestClient(create_app(runtime)) as client:
        assert download_html(client, tenant, collection.hash)["data"]["status"] == "PROCESSING"
        queue = runtime.ports.queue
        assert isinstance(queue, RecordingQueue)
        assert run_package_build(context, queue.packages[0]) is True
        url = download_html(client, tenant, collection.hash)["data"]["resourceUrl"]
        response = client.get(local(url), follow_redirects=False)
        name = f"object-store-{collection.hash}.zip"
        if response.status_code == 307:  # S3: straight from the bucket
            direct = httpx.get(response.headers["location"])
            assert direct.status_code == 200
            assert direct.headers["content-disposition"] == f'attachment; filename="{name}"'
            content = direct.content
            ranged = httpx.get(response.headers["location"], headers={"Range": "bytes=0-9"})
            assert ranged.status_code == 206 and ranged.content == content[:10]
        else:
            assert response.status_code == 200
            assert response.headers["content-disposition"] == f'attachment; filename="{name}"'
            content = response.content
        with open_zip(content) as package:
            assert package.testzip() is None
            assert "data/2.js" in package.namelist()


@pytest.mark.parametrize("kind", ["local", "memory"])
def test_adopting_a_file_create_only_never_replaces_a_stored_one(kind: str, tmp_path: Path) -> None:
    store = make_store(str(tmp_path / "files")) if kind == "local" else make_store("memory://")
    first, second = tmp_path / "first", tmp_path / "second"
    first.write_bytes(b"first")
    second.write_bytes(b"second")
    store.adopt_file("packages/a/1-1/a.zip", first, create_only=True)
    assert not first.exists()
    with pytest.raises(FileExistsError):
        store.adopt_file("packages/a/1-1/a.zip", second, create_only=True)
    assert store.get_bytes("packages/a/1-1/a.zip") == b"first"
