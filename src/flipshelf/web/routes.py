"""Public file routes: a flipbook's manifest and pages, a collection's thumbnail, logo and
background. Only what the collection's status lets the public see is served."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import timedelta

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from flipshelf.conversion.options import THUMB
from flipshelf.conversion.pages import image_name
from flipshelf.domain import layout
from flipshelf.domain.collections import Collection, CollectionStatus
from flipshelf.domain.hashes import is_collection_hash, is_flipbook_hash
from flipshelf.domain.packages import download_name
from flipshelf.services import reading
from flipshelf.services.ports import Ports
from flipshelf.web.caching import IMMUTABLE, PRIVATE_CACHE
from flipshelf.web.collection_page import CollectionPage
from flipshelf.web.events import EVENTS_PATH, events_endpoint
from flipshelf.web.links import reader_link
from flipshelf.web.urls import PublicUrls
from flipshelf.web.widget import widget_routes

# Names the converter makes (manifest.json, text/all.json, pages/0001-normal.jpg, text/0001.txt,
# text/0001-words.json).
_BOOK_FILE = re.compile(
    r"manifest\.json|text/all\.json|(pages|text)/[0-9]{4,7}(-[a-z]+)?\.(jpg|txt)"
    r"|text/[0-9]{4,7}-words\.json"
)
SIGNED_URL_LIFETIME = timedelta(minutes=10)
# The thumbnail can change within a collection version (the first page ready); so may an old
# version's logo URL.
DAY = "public, max-age=86400"

Handler = Callable[[Request], Awaitable[Response]]


def _not_found() -> Response:
    return PlainTextResponse("Not found", status_code=404)


def serve_file(ports: Ports, key: str, cache: str, media_type: str | None = None) -> Response:
    path = ports.files.local_path(key)
    if path is None:
        # Object storage: the reader fetches from it directly with a short-lived signed URL,
        # so file bytes never pass through the API process.
        url = ports.files.signed_url(key, SIGNED_URL_LIFETIME)
        if url is None:
            return _not_found()
        return RedirectResponse(url, status_code=307, headers={"Cache-Control": "no-store"})
    if not path.is_file():
        return _not_found()
    # FileResponse streams with sendfile and answers Range requests.
    return FileResponse(path, media_type=media_type, headers={"Cache-Control": cache})


def book_file(ports: Ports) -> Handler:
    async def handler(request: Request) -> Response:
        flipbook_hash, name = request.path_params["flipbook"], request.path_params["name"]
        if not is_flipbook_hash(flipbook_hash) or not _BOOK_FILE.fullmatch(name):
            return _not_found()
        opened = await run_in_threadpool(
            reading.open_flipbook, ports, flipbook_hash, reader_link(request)
        )
        collection = opened.collection
        if collection is None:
            return _not_found()
        # The manifest changes while pages arrive; page files never change once written.
        cache = "no-cache" if name == "manifest.json" else IMMUTABLE
        if collection.status is CollectionStatus.PRIVATE:
            cache = "private, no-cache" if name == "manifest.json" else PRIVATE_CACHE
        return serve_file(ports, layout.book_file(flipbook_hash, name), cache)

    return handler


def source_file(ports: Ports) -> Handler:
    """The original document of a flipbook, as an attachment: what the player's download button
    links to (it reports a "download" event when clicked)."""

    async def handler(request: Request) -> Response:
        flipbook_hash = request.path_params["flipbook"]
        if not is_flipbook_hash(flipbook_hash):
            return _not_found()
        opened = await run_in_threadpool(
            reading.open_flipbook, ports, flipbook_hash, reader_link(request)
        )
        item = opened.collection.item(flipbook_hash) if opened.collection is not None else None
        if item is None:
            return _not_found()
        key = layout.source_key(flipbook_hash, item.extension)
        path = ports.files.local_path(key)
        if path is None:
            return serve_file(ports, key, "private, no-cache")
        if not path.is_file():
            return _not_found()
        name = download_name(item.title, flipbook_hash[:10], item.extension)
        return FileResponse(path, filename=name, headers={"Cache-Control": "private, no-cache"})

    return handler


def _collection_file(
    ports: Ports, pick: Callable[[Collection], str | None], versioned: bool = False
) -> Handler:
    async def handler(request: Request) -> Response:
        collection_hash = request.path_params["collection"]
        if not is_collection_hash(collection_hash):
            return _not_found()
        opened = await run_in_threadpool(
            reading.open_collection, ports, collection_hash, reader_link(request)
        )
        collection = opened.collection
        key = pick(collection) if collection is not None else None
        if key is None or collection is None:
            return _not_found()
        if collection.status is CollectionStatus.PRIVATE:
            return serve_file(ports, key, PRIVATE_CACHE)
        return serve_file(ports, key, _public_cache(request, collection) if versioned else DAY)

    return handler


def _public_cache(request: Request, collection: Collection) -> str:
    """The player asks for the logo and background with ?v=<collection version>, and changing
    either makes a new version: such a URL never changes content. An old version's URL may."""
    return IMMUTABLE if request.query_params.get("v") == str(collection.version) else DAY


def thumbnail_key(collection: Collection) -> str | None:
    ready = next((item for item in collection.items if item.pages_ready > 0), None)
    if ready is None:
        return None
    return layout.book_file(ready.hash, image_name(1, ready.page_count or 1, THUMB))


def web_routes(ports: Ports, urls: PublicUrls) -> list[BaseRoute]:
    return [
        Route("/c/{collection}", CollectionPage(ports, urls).handle, methods=["GET", "HEAD"]),
        Route("/f/{flipbook}/source", source_file(ports)),
        Route("/f/{flipbook}/{name:path}", book_file(ports)),
        Route("/c/{collection}/thumb.jpg", _collection_file(ports, thumbnail_key)),
        Route("/c/{collection}/logo", _collection_file(ports, lambda c: c.logo_key, True)),
        Route(
            "/c/{collection}/background", _collection_file(ports, lambda c: c.background_key, True)
        ),
        Route(EVENTS_PATH, events_endpoint(ports).handle, methods=["POST"]),
        *widget_routes(ports),
    ]
