"""flipbook.delete."""

from __future__ import annotations

from flipshelf.api.v1.call import Call, Data
from flipshelf.domain.errors import BadRequest
from flipshelf.domain.hashes import is_flipbook_hash
from flipshelf.services import collections


def delete(call: Call) -> Data:
    collection_hash = call.required("collectionHash")
    flipbook_hash = call.required("flipbookHash")
    if not is_flipbook_hash(flipbook_hash):
        # Checked after the collection (46/43 come first), so do it in the service order.
        collections.find_owned(call.ports, call.account, collection_hash)
        raise BadRequest("malformed flipbookHash")
    collections.delete_flipbook(call.ports, call.account, collection_hash, flipbook_hash)
    return None
