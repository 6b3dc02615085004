"""Stored files in a local directory, written durably (see durable.py).

Not obstore's LocalStore: that one renames a staging file into place but never fsyncs the file or
the directory, so a power cut can leave an empty or missing file that the database already names
(docs/decisions/0005-file-store.md). Being plain files also lets the web layer hand them to
sendfile through `local_path`.
"""

from __future__ import annotations

import errno
import os
import shutil
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO

from flipshelf.storage.durable import fsync_dir, make_dirs, write_durably
from flipshelf.storage.keys import check_key

# Copy buffer: large enough for disk throughput, small enough that a 500 MB upload costs no memory.
COPY_BUFFER = 1024 * 1024


class LocalFileStore:
    """Keys map to files under `root`; the directory tree mirrors the key's segments."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def _file(self, key: str) -> Path:
        """The key's file; FileNotFoundError when there is none (a directory is not a file)."""
        path = self._path(key)
        if not path.is_file():
            raise FileNotFoundError(f"no stored file {key!r}")
        return path

    def put_file(self, key: str, path: Path, *, create_only: bool = False) -> None:
        # Copied, never moved: the caller keeps (and removes) its file whatever the backend.
        target = self._path(key)
        with path.open("rb") as source:
            write_durably(
                target,
                lambda out: shutil.copyfileobj(source, out, COPY_BUFFER),
                create_only=create_only,
            )

    def adopt_file(
        self, key: str, path: Path, *, create_only: bool = False, attachment: str | None = None
    ) -> None:
        """Stores a finished, fsynced file by moving it (the caller gives it up). Uploads are
        staged on the store's filesystem so this is one rename, not a second copy of 500 MB.
        `create_only` links instead of renaming: atomic, and it fails if the key exists.
        `attachment` needs nothing here: the web layer names local downloads itself."""
        target = self._path(key)
        make_dirs(target.parent)
        try:
            if create_only:
                os.link(path, target)
                path.unlink()
            else:
                os.replace(path, target)
        except OSError as error:
            if error.errno != errno.EXDEV:
                raise
            # another filesystem: copy durably, then let go of it
            self.put_file(key, path, create_only=create_only)
            path.unlink()
            return
        fsync_dir(target.parent)

    def put_bytes(self, key: str, data: bytes, *, create_only: bool = False) -> None:
        write_durably(self._path(key), lambda out: out.write(data), create_only=create_only)

    def open_read(self, key: str) -> BinaryIO:
        return self._file(key).open("rb")

    def get_bytes(self, key: str) -> bytes:
        return self._file(key).read_bytes()

    def get_file(self, key: str, target: Path) -> None:
        shutil.copyfile(self._file(key), target)

    def size(self, key: str) -> int:
        return self._file(key).stat().st_size

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        # Not fsynced: a delete lost in a crash leaves an orphan file, which is harmless (the
        # database row is the truth), while a sync per delete would slow bulk clean-ups.
        self._path(key).unlink(missing_ok=True)

    def delete_prefix(self, prefix: str) -> None:
        directory = self._path(prefix)
        if directory.is_dir():
            shutil.rmtree(directory)

    def prefix_size(self, prefix: str) -> int:
        """Bytes stored under `prefix`, a folder of keys (0 when nothing is)."""
        directory = self._path(prefix)
        return sum(path.stat().st_size for path in directory.rglob("*") if path.is_file())

    def local_path(self, key: str) -> Path | None:
        """Where the key lives (or would live) on this machine: for sendfile, and for writers
        that fill a whole prefix directory in place."""
        return self._path(key)

    def signed_url(self, key: str, expires_in: timedelta) -> str | None:
        check_key(key)
        return None
