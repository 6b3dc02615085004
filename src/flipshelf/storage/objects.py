"""Stored files in an object store through obstore: the in-memory store (tests) and S3 (s3.py).

obstore is synchronous from Python's side yet releases the GIL while it works, so worker
processes call it directly and the async API calls it through its thread pool, as it calls every
other port. Every method is safe to call from many threads at once.
"""

from __future__ import annotations

import io
import mimetypes
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import obstore
from obstore.exceptions import AlreadyExistsError
from obstore.store import MemoryStore

from flipshelf.storage.keys import check_key

if TYPE_CHECKING:
    from obstore import Attributes
    from obstore.store import ObjectStore
    from typing_extensions import Buffer  # collections.abc.Buffer is Python 3.12+

# S3 parts: 5 MiB is S3's smallest part (10,000 parts: objects up to 48 GiB). With three parts in
# flight a put holds about 15-20 MiB whatever the file's size.
PART_SIZE = 5 * 1024 * 1024
PARTS_IN_FLIGHT = 3
# Reads arrive in chunks of at least this size; bounded so a reader costs little memory.
READ_CHUNK = 1024 * 1024
DELETE_BATCH = 1000  # S3's DeleteObjects limit


_SAFE_FILENAME = re.compile(r"[A-Za-z0-9._-]{1,200}")


def content_type(key: str) -> str:
    """Stored with each object, so a signed link (or a proxy) serves it with the right type."""
    return mimetypes.guess_type(key)[0] or "application/octet-stream"


class ObjectFileStore:
    """A FileStore over any obstore store. Subclasses choose the store and its extras."""

    def __init__(self, store: ObjectStore) -> None:
        self._store = store

    def _objects(self) -> ObjectStore:
        """The obstore store, for one operation; S3 adds its fork check here."""
        return self._store

    def put_file(
        self, key: str, path: Path, *, create_only: bool = False, attachment: str | None = None
    ) -> None:
        """`attachment`: stored as the object's Content-Disposition, so a signed link to it
        downloads under that name (presigned URLs cannot add response headers here)."""
        check_key(key)
        store = self._objects()
        if create_only and path.stat().st_size > PART_SIZE:
            # obstore can make only single-request puts conditional, and those hold the whole
            # file in memory. Keys are random and server-made, so a check is enough here.
            if self.exists(key):
                raise FileExistsError(f"stored file exists: {key!r}")
            create_only = False
        with path.open("rb") as source:
            self._put(store, key, source, create_only, attachment)

    def adopt_file(
        self, key: str, path: Path, *, create_only: bool = False, attachment: str | None = None
    ) -> None:
        """Stores a finished file and lets go of the local copy."""
        self.put_file(key, path, create_only=create_only, attachment=attachment)
        path.unlink(missing_ok=True)

    def put_bytes(self, key: str, data: bytes, *, create_only: bool = False) -> None:
        check_key(key)
        self._put(self._objects(), key, data, create_only)

    def _put(
        self,
        store: ObjectStore,
        key: str,
        data: BinaryIO | bytes,
        create_only: bool,
        attachment: str | None = None,
    ) -> None:
        attributes: Attributes = {"Content-Type": content_type(key)}
        if attachment is not None:
            if not _SAFE_FILENAME.fullmatch(attachment):
                # The name goes into a response header verbatim: no quote, CR/LF or non-ASCII.
                raise ValueError("an attachment name is ASCII letters, digits, '.', '_' and '-'")
            attributes["Content-Disposition"] = f'attachment; filename="{attachment}"'
        try:
            obstore.put(
                store,
                key,
                data,
                mode="create" if create_only else "overwrite",
                attributes=attributes,
                chunk_size=PART_SIZE,
                max_concurrency=PARTS_IN_FLIGHT,
            )
        except AlreadyExistsError:
            raise FileExistsError(f"stored file exists: {key!r}") from None

    def _chunks(self, key: str) -> Iterator[Buffer]:
        # obstore raises FileNotFoundError itself for a missing object, before the first chunk.
        return iter(obstore.get(self._objects(), check_key(key)).stream(READ_CHUNK))

    def open_read(self, key: str) -> BinaryIO:
        return io.BufferedReader(_ChunkReader(self._chunks(key)), READ_CHUNK)

    def get_bytes(self, key: str) -> bytes:
        return bytes(obstore.get(self._objects(), check_key(key)).bytes())

    def get_file(self, key: str, target: Path) -> None:
        chunks = self._chunks(key)
        try:
            with target.open("wb") as out:
                for chunk in chunks:
                    out.write(chunk)
        except BaseException:
            target.unlink(missing_ok=True)  # no half file for the caller to mistake for whole
            raise

    def size(self, key: str) -> int:
        return obstore.head(self._objects(), check_key(key))["size"]

    def exists(self, key: str) -> bool:
        try:
            self.size(key)
        except FileNotFoundError:
            return False
        return True

    def delete(self, key: str) -> None:
        obstore.delete(self._objects(), check_key(key))  # a missing key is no error, as on S3

    def delete_prefix(self, prefix: str) -> None:
        # Listing is by whole segments: "books/ab" never matches "books/abc/...".
        store = self._objects()
        listing = obstore.list(store, check_key(prefix), chunk_size=DELETE_BATCH)
        for batch in listing:
            obstore.delete(store, [meta["path"] for meta in batch])

    def prefix_size(self, prefix: str) -> int:
        """Bytes stored under `prefix` (whole segments, as `delete_prefix`)."""
        listing = obstore.list(self._objects(), check_key(prefix), chunk_size=DELETE_BATCH)
        return sum(int(meta["size"]) for batch in listing for meta in batch)

    def local_path(self, key: str) -> Path | None:
        check_key(key)
        return None

    def signed_url(self, key: str, expires_in: timedelta) -> str | None:
        check_key(key)
        return None


class MemoryFileStore(ObjectFileStore):
    """Everything in this process's memory: for tests and fakes, lost on exit."""

    def __init__(self) -> None:
        super().__init__(MemoryStore())


class _ChunkReader(io.RawIOBase):
    """A raw file over a stream of chunks, so callers get a normal buffered binary file."""

    def __init__(self, chunks: Iterator[Buffer]) -> None:
        self._chunks = chunks
        self._pending = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Buffer) -> int:
        while not self._pending:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._pending = memoryview(chunk).cast("B")
        target = memoryview(buffer).cast("B")
        count = min(len(target), len(self._pending))
        target[:count] = self._pending[:count]
        self._pending = self._pending[count:]
        return count
