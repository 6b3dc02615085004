"""The widget's own player, packaged for file://: the same scripts, styles and page template.

The package adds no player code of its own. It gives the widget's page (web/templates) the
configuration the widget would give it, with relative paths instead of server URLs, and loads
the data scripts (`data/*.js`) that set `window.FLIPSHELF_OFFLINE`; the player reads that object
instead of fetching when it is present (docs/player.md, docs/packages.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from flipshelf.domain.collections import Collection
from flipshelf.packaging.build import OfflineBook
from flipshelf.web import widget


class WidgetPlayer:
    """The OfflinePlayer of packaging/build.py, made of the widget's files."""

    def __init__(self, static_dir: Path = widget.STATIC_DIR) -> None:
        self._static = static_dir

    def assets(self) -> Iterator[tuple[str, Path]]:
        for path in sorted(self._static.rglob("*")):
            if path.is_file() and not path.name.startswith("."):
                yield path.relative_to(self._static).as_posix(), path

    def config(
        self,
        collection: Collection,
        books: list[OfflineBook],
        logo: str | None,
        background: str | None,
    ) -> dict[str, Any]:
        opening = widget.Opening(start_book=1, start_page=1, rtl=collection.rtl, signed_query="")
        config = widget.player_config(collection, opening)
        wanted = {book.flipbook.hash for book in books}
        # The package holds pages, not the original documents: no download link inside it.
        config["books"] = [
            {**book, "download": None} for book in config["books"] if book["hash"] in wanted
        ]
        # Offline: no reader events to send, files beside index.html.
        config.update(events=None, logo=logo, background=background, offline=True)
        return config

    def index_html(self, collection: Collection, config: dict[str, Any], scripts: list[str]) -> str:
        return widget.offline_page(collection, config, static="player", scripts=scripts)
