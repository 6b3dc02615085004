"""collection.create, flipbook.add, collection.setLogo, collection.setBackgroundImage.

Each takes `file` (already staged by the body reader) or `fileUrl` (fetched here); the file wins
when both are given, as the seed says.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool

from flipshelf.api.v1.call import Call, Data
from flipshelf.api.v1.presenters import collection_view
from flipshelf.domain.collections import (
    DEFAULT_HEIGHT,
    DEFAULT_WIDTH,
    CollectionStatus,
    default_title,
    parse_collection_status,
    parse_description,
    parse_dimension,
    parse_rtl,
    parse_title,
)
from flipshelf.domain.errors import BadRequest, MissingParameter
from flipshelf.domain.layout import ImageRole
from flipshelf.services import collections, uploads
from flipshelf.web.staging import StagedFile, check_file_url, stage_url


def _limits(call: Call) -> uploads.UploadLimits:
    return uploads.UploadLimits(call.limits.uploads_per_month, call.limits.max_pages)


def _file_url(call: Call) -> str | None:
    if call.upload is not None:
        return None  # the file wins
    url = call.optional("fileUrl")
    if url is None:
        raise MissingParameter("file or fileUrl is required")
    return check_file_url(url)


async def _staged(call: Call, url: str | None) -> StagedFile:
    """The upload, or the fileUrl fetched into the staging directory."""
    if url is None:
        assert call.upload is not None
        return call.upload
    return await stage_url(call.ports.fetcher, call.staging_dir, url)


def _title(call: Call, staged: StagedFile) -> str:
    given = call.params.get("title")
    return parse_title(given) if given else default_title(staged.client_name)


def _aliased(call: Call, name: str, alias: str) -> str | None:
    """`name`, or the help guide's shorter `alias` for it (`width` for `collectionWidth`): real
    clients send either. Both with different values is ambiguous: 40."""
    value, other = call.optional(name), call.optional(alias)
    if value is not None and other is not None and value != other:
        raise BadRequest(f"{name} and {alias} disagree; send one of them")
    return value if value is not None else other


async def create(call: Call) -> Data:
    width = _aliased(call, "collectionWidth", "width")
    height = _aliased(call, "collectionHeight", "height")
    status = _aliased(call, "collectionStatus", "status")
    description = parse_description(call.params.get("description") or "")
    chosen_status = parse_collection_status(status) if status else CollectionStatus.PUBLISHED
    chosen_width = parse_dimension("collectionWidth", width) if width else DEFAULT_WIDTH
    chosen_height = parse_dimension("collectionHeight", height) if height else DEFAULT_HEIGHT
    rtl = call.optional("rtl")
    chosen_rtl = parse_rtl(rtl) if rtl else False
    staged = await _staged(call, _file_url(call))
    try:
        title = _title(call, staged)
        fields = uploads.CollectionFields(
            title, description, chosen_status, chosen_width, chosen_height, chosen_rtl
        )
        created = await run_in_threadpool(
            uploads.create_collection,
            call.ports,
            call.account,
            staged.path,
            fields,
            _limits(call),
        )
    finally:
        staged.discard()
    return collection_view(created, call.urls)


async def add_flipbook(call: Call) -> Data:
    collection_hash = call.required("collectionHash")
    url = _file_url(call)
    # 46/43 before the (possibly slow) fetch of a fileUrl.
    await run_in_threadpool(collections.find_owned, call.ports, call.account, collection_hash)
    staged = await _staged(call, url)
    try:
        updated = await run_in_threadpool(
            uploads.add_flipbook,
            call.ports,
            call.account,
            collection_hash,
            staged.path,
            _title(call, staged),
            _limits(call),
        )
    finally:
        staged.discard()
    return collection_view(updated, call.urls)


async def _image(call: Call, role: ImageRole) -> Data:
    collection_hash = call.required("collectionHash")
    url = _file_url(call)
    await run_in_threadpool(collections.find_owned, call.ports, call.account, collection_hash)
    staged = await _staged(call, url)
    try:
        updated = await run_in_threadpool(
            uploads.replace_image, call.ports, call.account, collection_hash, staged.path, role
        )
    finally:
        staged.discard()
    return collection_view(updated, call.urls)


async def set_logo(call: Call) -> Data:
    return await _image(call, ImageRole.LOGO)


async def set_background(call: Call) -> Data:
    return await _image(call, ImageRole.BACKGROUND)
