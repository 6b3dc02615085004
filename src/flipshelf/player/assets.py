"""The player's static files (scripts, styles, vendored page-flip): where they are, what they
are called in a package, the one script pages load (`script_bundle`), and a version that changes
whenever one of them does."""

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


# The player's scripts, in the order they run: each uses what those before it define. Pages load
# them as one file, BUNDLE: in Chromium a page loading these eleven files painted a plain page
# image 40-55 ms later than the image alone, the same page loading them as one file 10 ms later
# (each script is compiled in a task of its own, beside the image's decoding, on the same cores;
# docs/player.md, "First paint").
PLAYER_SCRIPTS = (
    "vendor/page-flip.browser.js",
    "player/events.js",
    "player/source.js",
    "player/book.js",
    "player/zoom.js",
    "player/touch.js",
    "player/layout.js",
    "player/search.js",
    "player/share.js",
    "player/panels.js",
    "player/player.js",
)
BUNDLE = "player/bundle.js"


@cache
def script_bundle(root: Path = STATIC_DIR) -> str:
    """PLAYER_SCRIPTS as one script, each after a comment naming it. Each of ours is a function
    with its own "use strict", page-flip a function too, so joining them changes no meaning;
    the `;` between them ends whatever statement a file leaves open."""
    return "\n;\n".join(
        f"/* {name} */\n{(root / name).read_text(encoding='utf-8')}" for name in PLAYER_SCRIPTS
    )


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
