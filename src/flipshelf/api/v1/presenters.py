"""Domain objects as the v1 wire shows them (field names and value styles from the seed)."""

from __future__ import annotations

from typing import Any

from flipshelf.domain.collections import Collection, ConvertStatus, Flipbook
from flipshelf.domain.stats import Totals
from flipshelf.web.urls import PublicUrls


def flipbook_view(item: Flipbook) -> dict[str, Any]:
    view: dict[str, Any] = {
        "flipbookHash": item.hash,
        "flipbookTitle": item.title,
        "extension": item.extension,
        "convertStatus": item.convert_status.value,
        "pageCount": item.page_count,
    }
    if item.convert_status is ConvertStatus.PROCESSING:
        view["pagesReady"] = item.pages_ready
    if item.convert_status is ConvertStatus.FAILED:
        view["convertError"] = item.convert_error or "conversion failed"
    if item.failed_pages:
        # An extension: pages of a COMPLETE book that could not be drawn (placeholders).
        view["failedPages"] = list(item.failed_pages)
    return view


def collection_view(collection: Collection, urls: PublicUrls) -> dict[str, Any]:
    return {
        "collectionHash": collection.hash,
        "collectionTitle": collection.title,
        "collectionDescription": collection.description,
        "collectionStatus": collection.status.value,
        "thumbnailUrl": urls.thumbnail(collection),
        "logoUrl": urls.logo(collection),
        "backgroundImageUrl": urls.background(collection),
        "collectionItems": [flipbook_view(item) for item in collection.items],
        # An extension: right-to-left books turn the other way in the player.
        "rtl": collection.rtl,
        # Strings, as in the seed.
        "settings": {
            "collectionWidth": str(collection.width),
            "collectionHeight": str(collection.height),
        },
    }


def totals_view(totals: Totals, with_pages: bool) -> dict[str, Any]:
    view: dict[str, Any] = {
        "impressions": totals.impressions,
        "views": totals.views,
        "time_spent": totals.time_spent,
        "downloads": totals.downloads,
    }
    if with_pages:
        view["pages"] = [
            {"page": p.page, "time_spent": p.time_spent, "clicks": p.clicks, "views": p.views}
            for p in totals.pages
        ]
    return view
