"""`GET /c/{collection}`: a collection's public page, for search engines and for sharing
(docs/player.md, "The collection page"). Published collections are indexed; unlisted ones are
served with `noindex`; any other answers 404 like the player does."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from flipshelf.domain.access import Access
from flipshelf.domain.hashes import is_collection_hash
from flipshelf.domain.public_page import CollectionView, PageVisibility
from flipshelf.player.page import (
    PublicLinks,
    render_collection_page,
    render_message,
    structured_data,
)
from flipshelf.services.ports import Ports
from flipshelf.web.public_page import collection_view
from flipshelf.web.urls import PublicUrls
from flipshelf.web.widget import MESSAGES, file_origin, live_assets


def page_policy(files_origin: str | None) -> str:
    """No script runs on this page (JSON-LD is data); it shows images and frames the player."""
    images = f"'self' {files_origin}" if files_origin else "'self'"
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'none'",
            "style-src 'self'",
            f"img-src {images}",
            "frame-src 'self'",
            "base-uri 'none'",
            "form-action 'none'",
        ]
    )


class CollectionPage:
    def __init__(self, ports: Ports, urls: PublicUrls) -> None:
        self.ports = ports
        self.urls = urls
        self._policy: str | None = None

    @property
    def policy(self) -> str:
        if self._policy is None:  # worked out in the serving process, never before a fork
            self._policy = page_policy(file_origin(self.ports.files))
        return self._policy

    async def handle(self, request: Request) -> Response:
        collection_hash = request.path_params["collection"]
        view = None
        if is_collection_hash(collection_hash):
            view = await run_in_threadpool(collection_view, self.ports, collection_hash)
        if view is None:
            heading, detail = MESSAGES[Access.NOT_FOUND]
            html = render_message(heading, detail, live_assets())
            return HTMLResponse(html, status_code=404, headers=self._headers(noindex=True))
        links = self.links(view)
        html = render_collection_page(view, links, live_assets(), structured_data(view, links))
        noindex = view.visibility is PageVisibility.NOINDEX
        return HTMLResponse(html, headers=self._headers(noindex))

    def links(self, view: CollectionView) -> PublicLinks:
        collection = view.collection
        cover = next(((book.hash, book.cover) for book in view.books if book.cover), None)
        image = f"{self.urls.base}/f/{cover[0]}/{cover[1]}" if cover else None
        return PublicLinks(
            url=self.urls.collection_page(collection.hash),
            image=image,
            widget=f"../widget/{collection.hash}",
        )

    def _headers(self, noindex: bool) -> dict[str, str]:
        headers = {
            "Content-Security-Policy": self.policy,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "strict-origin-when-cross-origin",
            # The page follows the collection (title, status, pages): revalidate each time.
            "Cache-Control": "no-cache",
        }
        if noindex:
            headers["X-Robots-Tag"] = "noindex"
        return headers
