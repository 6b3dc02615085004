"""The file-store port's backends, chosen by one URL-ish setting (`FLIPSHELF_STORAGE_URL`).

`make_store` answers a LocalFileStore (a directory), a MemoryFileStore (tests) or an S3FileStore;
all three have the same methods (the FileStore port in services/ports.py) and pass the same
contract tests (tests/integration/storage/).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from obstore.exceptions import GenericError

from flipshelf.storage.keys import InvalidKey, check_key
from flipshelf.storage.local import LocalFileStore
from flipshelf.storage.objects import MemoryFileStore, ObjectFileStore
from flipshelf.storage.s3 import (
    S3Credentials,
    S3FileStore,
    S3Location,
    StoreUnusableAfterFork,
    parse_s3_url,
)

__all__ = [
    "UNREACHABLE",
    "InvalidKey",
    "LocalFileStore",
    "MemoryFileStore",
    "ObjectFileStore",
    "S3Credentials",
    "S3FileStore",
    "S3Location",
    "Store",
    "StoreUnusableAfterFork",
    "check_key",
    "make_store",
]

Store = LocalFileStore | ObjectFileStore
# What an object store that cannot be reached raises (obstore wraps its retries' last network
# error in GenericError): an outage, not a bug (flipshelf/health.py).
UNREACHABLE: tuple[type[BaseException], ...] = (GenericError,)


def make_store(url: str, credentials: S3Credentials | None = None) -> Store:
    """The store a storage URL names; ValueError (never echoing the URL) when it names none.

    `/abs/path`, a relative path or `file:///abs/path`: a local directory. `memory://`: this
    process's memory. `s3://bucket/prefix?endpoint=URL&region=R&path_style=true`: S3.
    """
    if not url:
        raise ValueError("the storage URL is empty")
    scheme = urlsplit(url).scheme
    if scheme == "s3":
        return S3FileStore(parse_s3_url(url), credentials)
    if scheme == "memory":
        if url.rstrip("/") != "memory:":
            raise ValueError("the memory store takes no path or options: use memory://")
        return MemoryFileStore()
    if scheme == "file":
        return LocalFileStore(_file_url_path(url))
    if scheme:
        # The URL may carry a secret in the wrong place; name only its scheme.
        raise ValueError(
            f"unsupported storage URL scheme {scheme!r}: use a path, file://, memory:// or s3://"
        )
    return LocalFileStore(Path(url))


def _file_url_path(url: str) -> Path:
    parts = urlsplit(url)
    if parts.netloc not in ("", "localhost") or parts.query or parts.fragment:
        raise ValueError("a file:// storage URL is file:///absolute/path, with nothing else")
    path = Path(unquote(parts.path))
    if not path.is_absolute():
        raise ValueError("a file:// storage URL needs an absolute path")
    return path
