"""The public URLs flipshelf hands out. One place, so the API and the routes never disagree."""

from __future__ import annotations

from dataclasses import dataclass

from flipshelf.domain.collections import Collection


@dataclass(frozen=True)
class PublicUrls:
    base: str

    @property
    def widget_base(self) -> str:
        return f"{self.base}/widget"

    def collection_page(self, collection_hash: str) -> str:
        """The collection's public page (an extension: docs/player.md, "The collection page")."""
        return f"{self.base}/c/{collection_hash}"

    def thumbnail(self, collection: Collection) -> str | None:
        ready = next((item for item in collection.items if item.pages_ready > 0), None)
        if ready is None:
            return None
        return f"{self.base}/c/{collection.hash}/thumb.jpg?v={collection.version}"

    def logo(self, collection: Collection) -> str | None:
        if not collection.logo_key:
            return None
        return f"{self.base}/c/{collection.hash}/logo?v={collection.version}"

    def background(self, collection: Collection) -> str | None:
        if not collection.background_key:
            return None
        return f"{self.base}/c/{collection.hash}/background?v={collection.version}"
