"""collection.getCollection, update, deleteCollection, getList, getEmbed, deleteLogo."""

from __future__ import annotations

from flipshelf.api.v1.call import Call, Data
from flipshelf.api.v1.presenters import collection_view
from flipshelf.domain.collections import (
    CollectionChanges,
    parse_collection_status,
    parse_description,
    parse_dimension,
    parse_rtl,
    parse_title,
)
from flipshelf.domain.embed import EmbedOptions, embed_code, parse_flag, parse_position
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


def _changes(call: Call) -> CollectionChanges:
    # `get` (not `optional`): an empty title or description is a real change to empty.
    title, description = call.params.get("title"), call.params.get("description")
    width, height = call.optional("collectionWidth"), call.optional("collectionHeight")
    status, rtl = call.optional("collectionStatus"), call.optional("rtl")
    return CollectionChanges(
        title=parse_title(title) if title is not None else None,
        description=parse_description(description) if description is not None else None,
        status=parse_collection_status(status) if status else None,
        width=parse_dimension("collectionWidth", width) if width else None,
        height=parse_dimension("collectionHeight", height) if height else None,
        rtl=parse_rtl(rtl) if rtl else None,
    )


def update(call: Call) -> Data:
    collection_hash = call.required("collectionHash")
    changes = _changes(call)
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
    found = collections.find_owned(call.ports, call.account, call.required("collectionHash"))
    width, height = call.optional("width"), call.optional("height")
    options = EmbedOptions(
        https=parse_flag("https", call.optional("https")),
        responsive=parse_flag("responsive", call.optional("responsive")),
        start_page=parse_position("startPage", call.optional("startPage")),
        start_book=parse_position("startBook", call.optional("startBook")),
        width=parse_dimension("width", width) if width else found.width,
        height=parse_dimension("height", height) if height else found.height,
    )
    data: dict[str, object] = {
        "embedCode": embed_code(call.urls.widget_base, found.hash, options, found.title)
    }
    if page_visibility(found) is not PageVisibility.CLOSED:
        data["pageUrl"] = call.urls.collection_page(found.hash)  # extension: the SEO page
    return data


def delete_logo(call: Call) -> Data:
    updated = collections.delete_logo(call.ports, call.account, call.required("collectionHash"))
    return collection_view(updated, call.urls)
