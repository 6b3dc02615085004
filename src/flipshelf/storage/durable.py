"""Writes that survive a crash or power loss: the data reaches the disk before a name points at it.

The classic sequence: write a temporary file in the destination directory (same file system, so
the rename is atomic), fsync it, rename it over the destination (or link it, for create-only), then
fsync the directory so the new name itself is on disk. A reader sees the old file or the whole new
one, never a part; a crash leaves at most a hidden temporary file, never a torn stored file.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

TEMP_SUFFIX = ".tmp"


def fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def make_dirs(directory: Path) -> None:
    """`mkdir -p` that also makes each new directory's name durable in its parent; otherwise a
    crash could lose a whole new directory together with the files already synced inside it."""
    missing: list[Path] = []
    while not directory.is_dir():
        missing.append(directory)
        directory = directory.parent
    for new in reversed(missing):
        # Made by a concurrent writer meanwhile: sync its parent anyway, since that writer may
        # not have done so yet when we return.
        new.mkdir(exist_ok=True)
        fsync_dir(new.parent)


def temp_path(target: Path) -> Path:
    """A unique hidden name beside the target; keys never start with a dot (see keys.py)."""
    return target.with_name(f".{target.name}.{secrets.token_hex(8)}{TEMP_SUFFIX}")


def write_durably(
    target: Path, fill: Callable[[BinaryIO], object], *, create_only: bool = False
) -> None:
    """Writes what `fill` writes to a temporary file, then gives it the target's name durably.

    Raises FileExistsError (and leaves the existing file alone) when `create_only` and the target
    exists. On any failure, the temporary file is removed and the target is untouched.
    """
    make_dirs(target.parent)
    temp = temp_path(target)
    try:
        # "xb": O_EXCL, and the usual 0o666 & ~umask permissions (mkstemp would force 0o600,
        # hiding the files from a front web server that serves the directory itself).
        with temp.open("xb") as out:
            fill(out)
            out.flush()
            os.fsync(out.fileno())
        if create_only:
            os.link(temp, target)  # atomic, and fails if the target exists: no check-then-act race
            temp.unlink()
        else:
            os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    fsync_dir(target.parent)
