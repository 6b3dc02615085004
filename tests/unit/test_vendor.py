"""The vendored browser code is exactly what its README says it is."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path

from flipshelf.player.assets import EMPTY_STYLE_HASH, PAGE_FLIP_STYLE_HASH, STATIC_DIR
from flipshelf.web.dashboard.render import STATIC_DIR as DASHBOARD_STATIC

VENDOR = STATIC_DIR / "vendor"
DASHBOARD_VENDOR = DASHBOARD_STATIC / "vendor"


def table(folder: Path = VENDOR) -> dict[str, str]:
    """file name -> sha256, from the README's table."""
    rows = re.findall(
        r"^\| `([^`]+)` \|.*\| `([0-9a-f]{64})` \|$", (folder / "README.md").read_text(), re.M
    )
    return dict(rows)


def test_every_vendored_file_matches_its_recorded_checksum() -> None:
    recorded = table()
    assert recorded, "the README lists no files"
    scripts = {p.name for p in VENDOR.glob("*.js")}
    assert scripts == set(recorded), "a vendored script is missing from the README or the folder"
    for name, digest in recorded.items():
        assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == digest, name


def test_page_flip_ships_with_its_licence_and_version() -> None:
    licence = (VENDOR / "page-flip.LICENSE").read_text()
    assert "MIT License" in licence and "Nodlik" in licence
    assert "| 2.0.7 |" in (VENDOR / "README.md").read_text()


def _csp_hash(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


def test_the_policy_allows_exactly_the_stylesheet_page_flip_injects() -> None:
    source = (VENDOR / "page-flip.browser.js").read_text()
    start = source.index('createElement("style")')
    literal = re.search(r'\}\("((?:[^"\\]|\\.)*)"\)', source[start:])
    assert literal is not None
    css = json.loads(f'"{literal.group(1)}"')
    assert css.startswith(".stf__parent")
    assert _csp_hash(css) == PAGE_FLIP_STYLE_HASH
    assert _csp_hash("") == EMPTY_STYLE_HASH


def test_the_player_loads_nothing_from_other_hosts() -> None:
    for path in Path(STATIC_DIR / "player").rglob("*"):
        if path.suffix in (".js", ".css", ".html"):
            text = path.read_text()
            assert "http://" not in text and "https://" not in text, path
            assert "@import" not in text and "fonts.googleapis" not in text, path


def test_the_dashboard_charts_are_the_vendored_uplot() -> None:
    recorded = table(DASHBOARD_VENDOR)
    shipped = {p.name for p in DASHBOARD_VENDOR.iterdir() if p.suffix in (".js", ".css")}
    assert shipped == set(recorded) == {"uPlot.iife.min.js", "uPlot.min.css"}
    for name, digest in recorded.items():
        assert hashlib.sha256((DASHBOARD_VENDOR / name).read_bytes()).hexdigest() == digest, name
    licence = (DASHBOARD_VENDOR / "uPlot.LICENSE").read_text()
    assert "The MIT License" in licence and "Leon Sorokin" in licence
    assert "| 1.6.32 |" in (DASHBOARD_VENDOR / "README.md").read_text()
