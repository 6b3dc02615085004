"""Collections as the dashboard's pages and scripts see them (plain data, owner's text as is:
templates escape it, JSON carries it as strings)."""

from __future__ import annotations

from typing import Any

from flipshelf.domain.collections import Collection, CollectionStatus, ConvertStatus, Flipbook

STATUS_LABELS = {
    CollectionStatus.PUBLISHED: "Published",
    CollectionStatus.UNLISTED: "Unlisted",
    CollectionStatus.PRIVATE: "Private",
    CollectionStatus.EDITABLE: "Draft",
}
STATUS_HELP = {
    CollectionStatus.PUBLISHED: "anyone may read it and find it in lists",
    CollectionStatus.UNLISTED: "anyone with the link or embed code may read it",
    CollectionStatus.PRIVATE: "only readers with a private link may read it",
    CollectionStatus.EDITABLE: "nobody but you sees it",
}


def book_view(item: Flipbook) -> dict[str, Any]:
    return {
        "hash": item.hash,
        "title": item.title,
        "status": item.convert_status.value,
        "pagesReady": item.pages_ready,
        "pageCount": item.page_count,
        "error": (
            (item.convert_error or "conversion failed")
            if item.convert_status is ConvertStatus.FAILED
            else None
        ),
    }


def progress_view(collection: Collection, thumbnail: str | None) -> dict[str, Any]:
    """What the pages poll while books convert."""
    return {
        "collection": collection.hash,
        "processing": collection.is_processing,
        "thumbnail": thumbnail,
        "books": [book_view(item) for item in collection.items],
    }
