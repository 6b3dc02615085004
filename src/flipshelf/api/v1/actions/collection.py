"""collection.getCollection, update, deleteCollection, getList, getEmbed, deleteLogo."""

from __future__ import annotations

from flipshelf.api.v1.call import Call, Data
from flipshelf.api.v1.presenters import collection_view
from flipshelf.domain.collections import parse_changes, parse_collection_status
from flipshelf.domain.listing import (
    ListQuery,
    page_window,
    parse_order_by,
    parse_order_mode,
    parse_query_text,
)
from flipshelf.domain.public_page import PageVisibility, page_visibility
from flipshelf.services import collections


def get_collection(call: Call) -> Data:
    found = collections.find_owned(call.ports, call.account, call.required("collectionHash"))
    return collection_view(found, call.urls)


def update(call: Call) -> Data:
    collection_hash = call.required("collectionHash")
    changes = parse_changes(call.params.get)
    updated = collections.update(call.ports, call.account, collection_hash, changes)
    return collection_view(updated, call.urls)


def delete_collection(call: Call) -> Data:
    collections.delete(call.ports, call.account, call.required("collectionHash"))
    return None


def get_list(call: Call) -> Data:
    offset, limit = page_window(call.optional("from"), call.optional("to"))
    status = call.optional("collectionStatus")
    query = ListQuery(
        status=parse_collection_status(status) if status else None,
        text=parse_query_text(call.optional("query")),
        offset=offset,
        limit=limit,
        order_by=parse_order_by(call.optional("orderBy")),
        order_mode=parse_order_mode(call.optional("orderMode")),
    )
    total, found = collections.search(call.ports, call.account, query)
    return {
        "collectionCount": total,
        "collections": [collection_view(item, call.urls) for item in found],
    }


def get_embed(call: Call) -> Data:
    found, code = collections.embed(
        call.ports,
        call.account,
        call.required("collectionHash"),
        call.optional,
        call.urls.widget_base,
    )
    data: dict[str, object] = {"embedCode": code}
    if page_visibility(found) is not PageVisibility.CLOSED:
        data["pageUrl"] = call.urls.collection_page(found.hash)  # extension: the public page
    return data


def delete_logo(call: Call) -> Data:
    updated = collections.delete_logo(call.ports, call.account, call.required("collectionHash"))
    return collection_view(updated, call.urls)
