"""The widget's own player, packaged for file://: the same scripts, styles and page template.

The package adds no player code of its own. It renders the player page (player/) with the
offline configuration (relative paths, no reader events, no download links) and loads the data
scripts (`data/*.js`) that set `window.FLIPSHELF_OFFLINE`; the player reads that object instead
of fetching when it is present (docs/player.md, docs/packages.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from flipshelf.domain.collections import Collection
from flipshelf.packaging.build import OfflineBook
from flipshelf.player.assets import (
    BUNDLE,
    PLAYER_SCRIPTS,
    STATIC_DIR,
    script_bundle,
    static_files,
)
from flipshelf.player.config import OfflineFiles, Opening, PlayerConfig, player_config
from flipshelf.player.page import AssetPaths, render_player

# Where the package keeps the player's static files, relative to index.html.
PLAYER_FOLDER = "player"


class WidgetPlayer:
    """The OfflinePlayer of packaging/build.py, made of the player's files."""

    def __init__(self, static_dir: Path = STATIC_DIR) -> None:
        self._static = static_dir

    def assets(self) -> Iterator[tuple[str, Path]]:
        """Every static file but the scripts the bundle holds (`generated`)."""
        for name, path in static_files(self._static):
            if name not in PLAYER_SCRIPTS:
                yield name, path

    def generated(self) -> Iterator[tuple[str, str]]:
        yield BUNDLE, script_bundle(self._static)

    def config(
        self,
        collection: Collection,
        books: list[OfflineBook],
        logo: str | None,
        background: str | None,
    ) -> PlayerConfig:
        opening = Opening(start_book=1, start_page=1, rtl=collection.rtl, signed_query="")
        files = OfflineFiles(frozenset(book.flipbook.hash for book in books), logo, background)
        return player_config(collection, opening, offline=files)

    def index_html(self, collection: Collection, config: PlayerConfig, scripts: list[str]) -> str:
        return render_player(collection, config, AssetPaths(PLAYER_FOLDER), tuple(scripts))
