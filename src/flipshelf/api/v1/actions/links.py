"""collection.getPrivateLink: an extension beyond the Flipsnack v1 reference (docs/api.md)."""

from __future__ import annotations

from flipshelf.api.v1.call import Call, Data
from flipshelf.services import links


def get_private_link(call: Call) -> Data:
    collection_hash = call.required("collectionHash")
    link = links.private_link(
        call.ports, call.account, collection_hash, call.optional("expiresIn"), call.urls.widget_base
    )
    return {"url": link.url}
