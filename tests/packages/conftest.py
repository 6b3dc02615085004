"""Fixtures for offline packages: collections whose flipbooks have real files in the store, a
build context, and helpers to drive collection.downloadHTML and its download links."""

from __future__ import annotations

import io
import zipfile
from dataclasses import replace
from typing import Any

import pytest
from starlette.testclient import TestClient

from flipshelf.domain.collections import Collection, ConvertStatus
from flipshelf.jobs.package_job import PackageContext
from flipshelf.runtime import Runtime, package_context
from tests.books import write_book
from tests.support import Tenant, seed_collection, signed


@pytest.fixture
def packaging(runtime: Runtime) -> PackageContext:
    return replace(package_context(runtime), retry_base_seconds=1.0)


def seed_with_books(runtime: Runtime, tenant: Tenant, items: int = 2, **fields: Any) -> Collection:
    """A collection of COMPLETE flipbooks (12 pages each) whose files exist in the store."""
    collection = seed_collection(runtime, tenant, items=(ConvertStatus.COMPLETE,) * items, **fields)
    for item in collection.items:
        write_book(runtime.ports.files, item.hash, item.page_count or 1)
    return collection


def download_html(client: TestClient, tenant: Tenant, collection_hash: str) -> dict[str, Any]:
    params = signed(tenant.pair, "collection.downloadHTML", collectionHash=collection_hash)
    response = client.get("/v1/", params=params)
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def local(url: str) -> str:
    """The path and query of a public URL, for the in-process client."""
    return url.removeprefix("http://books.test")


def open_zip(content: bytes) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(content))
