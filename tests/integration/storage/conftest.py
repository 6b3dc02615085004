"""One `store` fixture, parametrized over every backend: the same contract tests run on a local
directory, in memory and on a real S3 server on loopback.

S3 runs only when FLIPSHELF_TEST_S3_URL names a server (`eval "$(scripts/s3-server.sh start)"`);
each test gets its own prefix in the bucket, so tests never see each other's objects.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from flipshelf.storage import S3Credentials, Store, make_store

S3_URL = os.environ.get("FLIPSHELF_TEST_S3_URL", "")
S3_SKIP = 'S3 not configured: set FLIPSHELF_TEST_S3_URL (eval "$(scripts/s3-server.sh start)")'
BACKENDS = ["local", "memory", "s3"]


@dataclass(frozen=True)
class StoreSpec:
    """How to build a store: for tests that hand it to a child process."""

    url: str
    credentials: S3Credentials | None = None

    def make(self) -> Store:
        return make_store(self.url, self.credentials)


def s3_credentials() -> S3Credentials:
    return S3Credentials(
        os.environ.get("FLIPSHELF_TEST_S3_ACCESS_KEY_ID", "testing"),
        os.environ.get("FLIPSHELF_TEST_S3_SECRET_ACCESS_KEY", "testing"),
    )


def s3_spec(name: str = "") -> StoreSpec:
    """The test server's URL with a fresh prefix below its own."""
    if not S3_URL:
        pytest.skip(S3_SKIP)
    parts = urlsplit(S3_URL)
    prefix = f"{parts.path.rstrip('/')}/{name or uuid.uuid4().hex}"
    return StoreSpec(parts._replace(path=prefix).geturl(), s3_credentials())


def spec_for(backend: str, tmp_path: Path) -> StoreSpec:
    if backend == "local":
        return StoreSpec(str(tmp_path / "files"))
    if backend == "memory":
        return StoreSpec("memory://")
    return s3_spec()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def store_spec(backend: str, tmp_path: Path) -> StoreSpec:
    return spec_for(backend, tmp_path)


@pytest.fixture
def store(store_spec: StoreSpec) -> Store:
    return store_spec.make()


@pytest.fixture
def s3_store() -> Store:
    return s3_spec().make()
