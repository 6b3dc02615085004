"""The local backend's durability mechanics: temp file, fsync, rename, fsync of the directory."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from flipshelf.storage import LocalFileStore, durable, make_store

KEY = "flipbooks/abc123/book/pages/0001-normal.jpg"


@pytest.fixture
def local(tmp_path: Path) -> LocalFileStore:
    return LocalFileStore(tmp_path / "files")


@pytest.fixture
def events(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, str]]]:
    """What the writes did to the disk, in order: fsyncs (by path), replaces and links."""
    seen: list[tuple[str, str]] = []
    real_fsync, real_replace, real_link = os.fsync, os.replace, os.link

    def fsync(fd: int) -> None:
        seen.append(("fsync", os.readlink(f"/proc/self/fd/{fd}")))
        real_fsync(fd)

    def replace(src: str | Path, dst: str | Path) -> None:
        seen.append(("replace", str(dst)))
        real_replace(src, dst)

    def link(src: str | Path, dst: str | Path) -> None:
        seen.append(("link", str(dst)))
        real_link(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    monkeypatch.setattr(os, "link", link)
    yield seen


def leftovers(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.name.startswith(".")]


def test_a_put_syncs_the_file_then_renames_then_syncs_the_directory(
    local: LocalFileStore, events: list[tuple[str, str]]
) -> None:
    local.put_bytes(KEY, b"page")
    target = local.root / KEY
    file_sync = next(
        i
        for i, (kind, path) in enumerate(events)
        if kind == "fsync" and Path(path).name.endswith(durable.TEMP_SUFFIX)
    )
    rename = events.index(("replace", str(target)))
    dir_sync = events.index(("fsync", str(target.parent)))
    assert file_sync < rename < dir_sync
    assert leftovers(local.root) == []  # the temporary file is gone


def test_new_directories_are_synced_into_their_parents(
    local: LocalFileStore, events: list[tuple[str, str]]
) -> None:
    local.put_bytes(KEY, b"page")
    synced = {path for kind, path in events if kind == "fsync"}
    # flipbooks/, abc123/, book/ and pages/ were new: each parent got its entry synced.
    for directory in (local.root / KEY).parents:
        if directory == local.root.parent:
            break
        assert str(directory) in synced


def test_create_only_links_instead_of_replacing(
    local: LocalFileStore, events: list[tuple[str, str]]
) -> None:
    local.put_bytes(KEY, b"first", create_only=True)
    assert ("link", str(local.root / KEY)) in events
    with pytest.raises(FileExistsError):
        local.put_bytes(KEY, b"second", create_only=True)
    assert (local.root / KEY).read_bytes() == b"first"
    assert leftovers(local.root) == []


def test_create_only_lets_exactly_one_of_many_racing_writers_win(local: LocalFileStore) -> None:
    def attempt(n: int) -> bool:
        try:
            local.put_bytes(KEY, f"writer {n}".encode(), create_only=True)
        except FileExistsError:
            return False
        return True

    with ThreadPoolExecutor(8) as pool:
        wins = list(pool.map(attempt, range(32)))
    assert wins.count(True) == 1
    assert (local.root / KEY).read_bytes() == f"writer {wins.index(True)}".encode()
    assert leftovers(local.root) == []


def test_a_write_that_fails_midway_leaves_no_temporary_file(
    local: LocalFileStore, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    local.put_bytes(KEY, b"old")
    source = tmp_path / "source"
    source.write_bytes(os.urandom(3 * 1024 * 1024))

    def broken_copy(src: object, out: object, length: int = 0) -> None:
        out.write(b"partial data")  # type: ignore[attr-defined]
        raise OSError("no space left on device")

    monkeypatch.setattr("flipshelf.storage.local.shutil.copyfileobj", broken_copy)
    with pytest.raises(OSError, match="no space left"):
        local.put_file(KEY, source)
    assert (local.root / KEY).read_bytes() == b"old"
    assert leftovers(local.root) == []


def test_temporary_files_are_hidden_beside_the_target(tmp_path: Path) -> None:
    temp = durable.temp_path(tmp_path / "0001-normal.jpg")
    assert temp.parent == tmp_path
    assert temp.name.startswith(".0001-normal.jpg.") and temp.name.endswith(".tmp")


def test_stored_files_follow_the_umask_not_mkstemps_0600(local: LocalFileStore) -> None:
    previous = os.umask(0o022)
    try:
        local.put_bytes(KEY, b"page")
    finally:
        os.umask(previous)
    assert stat.S_IMODE((local.root / KEY).stat().st_mode) == 0o644


def test_delete_prefix_also_removes_stray_temporary_files(local: LocalFileStore) -> None:
    local.put_bytes(KEY, b"page")
    stray = local.root / KEY
    stray.with_name(".0002-normal.jpg.deadbeef.tmp").write_bytes(b"from a crash")
    local.delete_prefix("flipbooks/abc123")
    assert not (local.root / "flipbooks" / "abc123").exists()


def test_local_path_is_inside_the_root_even_for_prefixes(local: LocalFileStore) -> None:
    assert local.local_path("flipbooks/abc123/book") == local.root / "flipbooks/abc123/book"


@pytest.mark.parametrize("form", ["plain", "file-url"])
def test_make_store_opens_a_directory(tmp_path: Path, form: str) -> None:
    root = tmp_path / "some dir"
    url = str(root) if form == "plain" else root.as_uri()
    store = make_store(url)
    assert isinstance(store, LocalFileStore)
    assert store.root == root and root.is_dir()


def test_make_store_resolves_a_relative_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    store = make_store("data/files")
    assert isinstance(store, LocalFileStore)
    assert store.root == tmp_path / "data" / "files"
