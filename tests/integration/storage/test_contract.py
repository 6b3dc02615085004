"""The file-store contract: every backend (local, memory, S3) behaves the same way."""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path, PosixPath
from typing import Any

import pytest

from flipshelf.storage import InvalidKey, Store
from flipshelf.storage.objects import PART_SIZE

KEY = "flipbooks/abc123/pages/0001-normal.jpg"


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_put_bytes_then_read_it_back(store: Store) -> None:
    store.put_bytes(KEY, b"page one")
    assert store.get_bytes(KEY) == b"page one"
    assert store.size(KEY) == 8
    assert store.exists(KEY)


def test_put_file_copies_and_leaves_the_source(store: Store, tmp_path: Path) -> None:
    source = write(tmp_path / "staged.pdf", b"%PDF-1.7 body")
    store.put_file("flipbooks/abc123/source.pdf", source)
    assert store.get_bytes("flipbooks/abc123/source.pdf") == b"%PDF-1.7 body"
    assert source.read_bytes() == b"%PDF-1.7 body"  # the caller's file is still the caller's


def test_adopt_file_stores_the_file_and_takes_it_from_the_caller(
    store: Store, tmp_path: Path
) -> None:
    staged = write(tmp_path / "staged.pdf", b"%PDF-1.7 adopted")
    store.adopt_file("flipbooks/abc123/source.pdf", staged)
    assert store.get_bytes("flipbooks/abc123/source.pdf") == b"%PDF-1.7 adopted"
    assert not staged.exists()


def test_adopt_file_create_only_keeps_the_stored_file_and_the_callers(
    store: Store, tmp_path: Path
) -> None:
    store.adopt_file(KEY, write(tmp_path / "first", b"first"), create_only=True)
    second = write(tmp_path / "second", b"second")
    with pytest.raises(FileExistsError):
        store.adopt_file(KEY, second, create_only=True)
    assert store.get_bytes(KEY) == b"first"
    assert second.read_bytes() == b"second"  # refused: still the caller's to keep or remove


def test_an_empty_file_is_stored_as_empty(store: Store, tmp_path: Path) -> None:
    store.put_file("a/empty.txt", write(tmp_path / "empty", b""))
    assert store.get_bytes("a/empty.txt") == b""
    assert store.size("a/empty.txt") == 0


def test_a_put_replaces_what_was_there(store: Store) -> None:
    store.put_bytes(KEY, b"old")
    store.put_bytes(KEY, b"new and longer")
    assert store.get_bytes(KEY) == b"new and longer"


def test_create_only_refuses_an_existing_key_and_keeps_it(store: Store, tmp_path: Path) -> None:
    store.put_bytes(KEY, b"first", create_only=True)
    with pytest.raises(FileExistsError):
        store.put_bytes(KEY, b"second", create_only=True)
    with pytest.raises(FileExistsError):
        store.put_file(KEY, write(tmp_path / "f", b"third"), create_only=True)
    assert store.get_bytes(KEY) == b"first"


def test_create_only_covers_files_bigger_than_one_part(store: Store, tmp_path: Path) -> None:
    big = write(tmp_path / "big", os.urandom(PART_SIZE + 4096))
    store.put_file("a/big.bin", big, create_only=True)
    with pytest.raises(FileExistsError):
        store.put_file("a/big.bin", write(tmp_path / "other", b"x"), create_only=True)
    assert store.get_bytes("a/big.bin") == big.read_bytes()


def test_a_multipart_sized_file_round_trips(store: Store, tmp_path: Path) -> None:
    data = os.urandom(3 * PART_SIZE + 12345)  # several parts on S3, the last one short
    store.put_file("a/pages.bin", write(tmp_path / "pages", data))
    assert store.size("a/pages.bin") == len(data)
    target = tmp_path / "back"
    store.get_file("a/pages.bin", target)
    assert hashlib.sha256(target.read_bytes()).digest() == hashlib.sha256(data).digest()


def test_open_read_streams_in_pieces(store: Store) -> None:
    data = bytes(range(256)) * 5000
    store.put_bytes(KEY, data)
    with store.open_read(KEY) as stream:
        pieces = [stream.read(1000), stream.read(70_000), stream.read()]
    assert b"".join(pieces) == data
    assert len(pieces[0]) == 1000


def test_get_file_writes_the_target(store: Store, tmp_path: Path) -> None:
    store.put_bytes(KEY, b"jpeg bytes")
    store.get_file(KEY, tmp_path / "page.jpg")
    assert (tmp_path / "page.jpg").read_bytes() == b"jpeg bytes"


READERS: dict[str, Callable[[Store, str, Path], Any]] = {
    "get_bytes": lambda store, key, _: store.get_bytes(key),
    "open_read": lambda store, key, _: store.open_read(key).read(),
    "size": lambda store, key, _: store.size(key),
    "get_file": lambda store, key, tmp: store.get_file(key, tmp / "out"),
}


@pytest.mark.parametrize("read", READERS.values(), ids=READERS.keys())
def test_reading_a_missing_key_raises_file_not_found(
    store: Store, tmp_path: Path, read: Callable[[Store, str, Path], Any]
) -> None:
    with pytest.raises(FileNotFoundError):
        read(store, "flipbooks/nothing/here.jpg", tmp_path)
    assert not (tmp_path / "out").exists()  # get_file leaves no empty target behind


def test_a_prefix_is_not_a_file(store: Store) -> None:
    store.put_bytes("flipbooks/abc/book/manifest.json", b"{}")
    assert not store.exists("flipbooks/abc/book")
    with pytest.raises(FileNotFoundError):
        store.get_bytes("flipbooks/abc/book")


def test_exists_and_delete(store: Store) -> None:
    assert not store.exists(KEY)
    store.put_bytes(KEY, b"x")
    store.delete(KEY)
    assert not store.exists(KEY)
    store.delete(KEY)  # deleting what is gone is not an error (a retried clean-up)


def test_delete_prefix_removes_everything_below_it_and_nothing_else(store: Store) -> None:
    doomed = ["flipbooks/ab/source.pdf", "flipbooks/ab/book/pages/0001-n.jpg", "flipbooks/ab/x"]
    kept = ["flipbooks/abc/source.pdf", "flipbooks/a/b", "flipbooks/ab.pdf", "other/ab/x"]
    for key in doomed + kept:
        store.put_bytes(key, key.encode())
    store.delete_prefix("flipbooks/ab")
    assert [key for key in doomed if store.exists(key)] == []
    assert [key for key in kept if store.exists(key)] == kept
    store.delete_prefix("flipbooks/ab")  # again: nothing left, no error
    store.delete_prefix("never/was")


def test_prefix_size_counts_whole_segments_below_the_prefix(store: Store) -> None:
    below = {"flipbooks/ab/source.pdf": b"12345", "flipbooks/ab/book/pages/0001-n.jpg": b"123"}
    beside = {"flipbooks/abc/source.pdf": b"1234567", "flipbooks/ab.pdf": b"12"}
    for key, data in {**below, **beside}.items():
        store.put_bytes(key, data)
    assert store.prefix_size("flipbooks/ab") == 8
    assert store.prefix_size("never/was") == 0


def test_delete_prefix_handles_more_keys_than_one_batch(store: Store) -> None:
    keys = [f"flipbooks/many/pages/{n:04d}-n.jpg" for n in range(1100)]  # > 1000 per S3 call
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda key: store.put_bytes(key, b"p"), keys))
    store.delete_prefix("flipbooks/many")
    assert not store.exists(keys[0]) and not store.exists(keys[-1])


def test_puts_from_many_threads_at_once(store: Store) -> None:
    keys = [f"flipbooks/t/pages/{n:04d}.jpg" for n in range(64)]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda key: store.put_bytes(key, key.encode()), keys))
    assert all(store.get_bytes(key) == key.encode() for key in keys)


class FailingPath(PosixPath):
    """A source file whose reads fail after `good_reads` reads, like a disk error mid-upload."""

    good_reads = 0

    def open(self, *args: Any, **kwargs: Any) -> Any:
        return FailingReader(os.fspath(self), self.good_reads)


class FailingReader(io.FileIO):
    def __init__(self, path: str, good_reads: int) -> None:
        super().__init__(path, "rb")
        self.reads_left = good_reads

    def _count(self) -> None:
        if self.reads_left == 0:
            raise OSError("simulated read error")
        self.reads_left -= 1

    def read(self, size: int | None = -1) -> bytes:
        self._count()
        return super().read(size)

    def readinto(self, buffer: Any) -> int:
        self._count()
        return super().readinto(buffer)


def failing(path: Path, good_reads: int) -> FailingPath:
    source = FailingPath(path)
    source.good_reads = good_reads
    return source


# Small: fails on the first read. Multipart: fails after 2 reads, with data already sent (S3:
# parts uploaded; local: megabytes in the temporary file).
@pytest.mark.parametrize(
    ("size", "good_reads"), [(1000, 0), (3 * PART_SIZE, 2)], ids=["small", "multipart"]
)
def test_a_failed_put_leaves_the_old_object_whole(
    store: Store, tmp_path: Path, size: int, good_reads: int
) -> None:
    store.put_bytes(KEY, b"the good version")
    write(tmp_path / "new", os.urandom(size))
    with pytest.raises(OSError, match="simulated read error"):
        store.put_file(KEY, failing(tmp_path / "new", good_reads))
    assert store.get_bytes(KEY) == b"the good version"
    with pytest.raises(OSError, match="simulated read error"):
        store.put_file("a/new-key.bin", failing(tmp_path / "new", good_reads))
    assert not store.exists("a/new-key.bin")


BAD_KEYS = [
    "",
    "..",
    "a/../b",
    "../etc/passwd",
    "/abs/path",
    "a//b",
    "a/",
    "a\\b",
    "./a",
    "a/./b",
    ".hidden",
    "a/.tmp",
    "Flipbooks/a",
    "a b",
    "a/b?c",
    "x" * 513,
]


def calls(key: str, tmp_path: Path) -> dict[str, Callable[[Store], Any]]:
    source = write(tmp_path / "src", b"x")
    return {
        "put_file": lambda s: s.put_file(key, source),
        "put_bytes": lambda s: s.put_bytes(key, b"x"),
        "open_read": lambda s: s.open_read(key),
        "get_bytes": lambda s: s.get_bytes(key),
        "get_file": lambda s: s.get_file(key, tmp_path / "out"),
        "size": lambda s: s.size(key),
        "exists": lambda s: s.exists(key),
        "delete": lambda s: s.delete(key),
        "delete_prefix": lambda s: s.delete_prefix(key),
        "local_path": lambda s: s.local_path(key),
        "signed_url": lambda s: s.signed_url(key, timedelta(minutes=5)),
    }


@pytest.mark.parametrize("key", BAD_KEYS)
def test_every_method_refuses_a_key_that_is_not_server_made(
    store: Store, tmp_path: Path, key: str
) -> None:
    for name, call in calls(key, tmp_path).items():
        with pytest.raises(InvalidKey):
            call(store)
            pytest.fail(f"{name} accepted {key!r}")


def test_local_path_only_where_files_are_on_this_disk(store: Store, backend: str) -> None:
    store.put_bytes(KEY, b"served by sendfile")
    path = store.local_path(KEY)
    if backend == "local":
        assert path is not None and path.read_bytes() == b"served by sendfile"
    else:
        assert path is None


def test_signed_urls_only_from_s3(store: Store, backend: str) -> None:
    url = store.signed_url(KEY, timedelta(minutes=5))
    assert (url is not None) == (backend == "s3")
