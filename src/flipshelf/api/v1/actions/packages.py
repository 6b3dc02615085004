"""collection.downloadHTML: the offline HTML package of a collection."""

from __future__ import annotations

from flipshelf.api.v1.call import Call, Data
from flipshelf.services import packages


def download_html(call: Call) -> Data:
    answer = packages.request_package(call.ports, call.account, call.required("collectionHash"))
    data: dict[str, object] = {"status": answer.status.value}
    if answer.resource_url is not None:
        data["resourceUrl"] = answer.resource_url
    return data
