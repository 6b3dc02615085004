"""The player's static files (scripts, styles, vendored page-flip): where they are, what they
are called in a package, and a version that changes whenever one of them does."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from functools import cache
from pathlib import Path

HERE = Path(__file__).resolve().parent
STATIC_DIR = HERE / "static"
TEMPLATES_DIR = HERE / "templates"

# page-flip injects one <style> element (its base CSS) when it loads; the widget's policy allows
# exactly that stylesheet by hash instead of allowing inline styles (tests/unit/test_vendor.py
# checks it). The element is checked once while still empty, so the empty stylesheet's hash too.
PAGE_FLIP_STYLE_HASH = "sha256-68ovwuVEgP4KP6803CNhdg6S0jCfEydjM4sM/Qdnc5o="
EMPTY_STYLE_HASH = "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="


def static_files(root: Path = STATIC_DIR) -> Iterator[tuple[str, Path]]:
    """(path relative to the static folder, file) for every file the page may load."""
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.name.startswith("."):
            yield path.relative_to(root).as_posix(), path


@cache
def asset_version(root: Path = STATIC_DIR) -> str:
    """Changes whenever a static file under `root` does, so asset URLs can be cached by
    browsers (the player's files by default; the dashboard versions its own the same way)."""
    digest = hashlib.sha256()
    for name, path in static_files(root):
        digest.update(name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]
