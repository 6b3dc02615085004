"""`GET /f/<flipbook>/zoom/<page>-<width>.jpg`: a page's zoom image, drawn when first asked for.

Readable exactly as the book's other files are (`reading.open_flipbook`: 404 for anything a
reader may not see). A stored image is served like any page file; a missing one is drawn
(`services.zoom_images`) off the event loop. Drawing is bounded, as a public route that costs
CPU must be: requests for one image share one drawing, at most `max_waiting` different images are
drawn or waiting in this process, and the next reader is told to come back (503, Retry-After)
rather than queued without end (docs/security.md).
"""

from __future__ import annotations

import asyncio

import structlog
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from flipshelf.conversion import errors
from flipshelf.conversion.checker import NoVerdict
from flipshelf.domain import layout
from flipshelf.domain.collections import CollectionStatus
from flipshelf.domain.hashes import is_flipbook_hash
from flipshelf.domain.zoom import ZOOM_WIDTHS
from flipshelf.services import reading
from flipshelf.services.ports import Ports
from flipshelf.services.zoom_images import ZoomImages
from flipshelf.web.caching import IMMUTABLE, PRIVATE_CACHE
from flipshelf.web.links import reader_link
from flipshelf.web.routes import serve_file

log = structlog.get_logger("flipshelf.zoom")

ZOOM_PATH = "/f/{flipbook}/zoom/{page:int}-{width:int}.jpg"
RETRY_AFTER_SECONDS = 2


class ZoomRoute:
    """The route's handler, with the drawings under way in this process."""

    def __init__(self, ports: Ports, images: ZoomImages, max_waiting: int) -> None:
        self._ports, self._max_waiting = ports, max_waiting
        self.images = images
        self.drawing: dict[str, asyncio.Future[str]] = {}  # by key: the drawings under way

    async def handle(self, request: Request) -> Response:
        flipbook_hash = request.path_params["flipbook"]
        page, width = request.path_params["page"], request.path_params["width"]
        if not is_flipbook_hash(flipbook_hash) or width not in ZOOM_WIDTHS:
            return _answer(404, "Not found")
        opened = await run_in_threadpool(
            reading.open_flipbook, self._ports, flipbook_hash, reader_link(request)
        )
        item = opened.collection.item(flipbook_hash) if opened.collection is not None else None
        if item is None or not 1 <= page <= item.pages_ready:
            return _answer(404, "Not found")
        if page in item.failed_pages:
            return _answer(404, "This page cannot be drawn")
        assert opened.collection is not None
        private = opened.collection.status is CollectionStatus.PRIVATE
        cache = PRIVATE_CACHE if private else IMMUTABLE
        key = layout.zoom_image(flipbook_hash, page, width)
        if not await run_in_threadpool(self.images.stored, key):
            if key not in self.drawing and len(self.drawing) >= self._max_waiting:
                return _busy()
            try:
                await self._drawn(key, flipbook_hash, item.extension, page, width)
            except NoVerdict:
                return _busy()
            except errors.ConversionError as refused:
                log.warning("zoom image not drawn", flipbook=flipbook_hash, reason=refused.reason)
                return _answer(404, "This page cannot be drawn")
        return serve_file(self._ports, key, cache, "image/jpeg")

    async def _drawn(
        self, key: str, flipbook_hash: str, extension: str, page: int, width: int
    ) -> str:
        """One drawing per image however many readers ask at once: the first starts it, the
        rest wait for the same answer."""
        pending = self.drawing.get(key)
        if pending is None:
            pending = asyncio.ensure_future(
                run_in_threadpool(self.images.draw, flipbook_hash, extension, page, width)
            )
            self.drawing[key] = pending
            pending.add_done_callback(lambda _done: self.drawing.pop(key, None))
        return await asyncio.shield(pending)


def _answer(status: int, text: str) -> Response:
    return PlainTextResponse(text, status_code=status)


def _busy() -> Response:
    return PlainTextResponse(
        "Busy drawing zoom images; try again",
        status_code=503,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store"},
    )
