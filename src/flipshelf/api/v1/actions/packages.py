"""collection.downloadHTML: the offline HTML package of a collection."""

from __future__ import annotations

from flipshelf.api.v1.call import Call, Data
from flipshelf.domain.embed import parse_flag
from flipshelf.domain.packages import PackageVariant
from flipshelf.services import packages


def download_html(call: Call) -> Data:
    """`zoom=false` (an extension) asks for the lean package, without zoom images."""
    collection_hash = call.required("collectionHash")
    zoom = call.optional("zoom")
    whole = zoom is None or zoom == "" or parse_flag("zoom", zoom)
    variant = PackageVariant.FULL if whole else PackageVariant.LEAN
    answer = packages.request_package(call.ports, call.account, collection_hash, variant)
    data: dict[str, object] = {"status": answer.status.value}
    if answer.resource_url is not None:
        data["resourceUrl"] = answer.resource_url
    return data
