"""The player module: one typed configuration for the widget and the package, and its imports."""

from __future__ import annotations

import ast
from pathlib import Path

from flipshelf.domain.collections import CollectionStatus
from flipshelf.domain.zoom import ZOOM_WIDTHS
from flipshelf.player.config import OfflineFiles, Opening, player_config
from tests.unit.test_widget_rules import book, collection

PLAYER = Path(__file__).resolve().parents[2] / "src" / "flipshelf" / "player"
OPEN = Opening(start_book=1, start_page=1, rtl=False, signed_query="")


def test_the_live_config_links_files_events_and_downloads() -> None:
    config = player_config(collection(logo_key="k/logo.png"), OPEN)
    assert not config.offline
    assert config.events == "../events"
    assert [b.download for b in config.books] == [f"../f/{1:032d}/source", f"../f/{2:032d}/source"]
    assert config.logo == "../c/abcdefghij/logo?v=3"
    assert config.to_json()["zoomWidths"] == list(ZOOM_WIDTHS)  # drawn on demand by the server


def test_the_offline_config_has_no_events_no_downloads_and_only_the_packaged_books() -> None:
    files = OfflineFiles(frozenset({book(2).hash}), "assets/logo.png", None)
    config = player_config(collection(logo_key="k/logo.png"), OPEN, offline=files)
    data = config.to_json()
    assert data["offline"] is True and data["events"] is None
    assert [b["hash"] for b in data["books"]] == [book(2).hash]
    assert data["books"][0]["download"] is None
    assert (data["logo"], data["background"]) == ("assets/logo.png", None)
    assert data["zoomWidths"] == []  # a package never asks the server for zoom images


def test_a_private_collections_link_never_reaches_a_package() -> None:
    signed = Opening(1, 1, False, "exp=1&sig=" + "b" * 64)
    private = collection(CollectionStatus.PRIVATE)
    live = player_config(private, signed).to_json()
    assert "sig=" in str(live["events"])
    offline = player_config(private, OPEN, OfflineFiles(frozenset(), None, None)).to_json()
    assert "sig=" not in str(offline)


def test_the_player_package_imports_neither_web_nor_packaging() -> None:
    """player/ sits below both of its users: no import cycle through it."""
    imported: set[str] = set()
    for path in PLAYER.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)
            elif isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
    ours = {name for name in imported if name.startswith("flipshelf.")}
    assert ours, "the scan found nothing: the path is wrong"
    allowed = ("flipshelf.domain", "flipshelf.player")
    assert all(name.startswith(allowed) for name in ours), ours
