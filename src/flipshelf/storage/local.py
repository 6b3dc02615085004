"""Stored files in a local directory. Keys are server-made relative paths, never client names."""

from __future__ import annotations

import re
from pathlib import Path

_KEY = re.compile(r"[a-z0-9][a-z0-9_./-]{0,254}")


class LocalFileStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path_of(self, key: str) -> Path:
        if not _KEY.fullmatch(key) or ".." in key.split("/"):
            raise ValueError(f"not a storage key: {key!r}")
        return self.root / key

    def delete(self, key: str) -> None:
        self.path_of(key).unlink(missing_ok=True)
