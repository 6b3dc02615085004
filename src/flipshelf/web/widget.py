"""The player page: `GET /widget/{collection}`, the URL `collection.getEmbed` points at, and the
static files it loads. How the player works in the browser: docs/player.md.

Who may open it (spec section 5): published and unlisted collections are public; a private one
needs a signed link (`exp`/`sig` from SignedLinks(purpose="collection")); drafts and deleted
collections are not found. Titles and descriptions are the owner's text, never markup: they reach
the page through Jinja2's autoescape and a JSON data block, never through string-built script.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from flipshelf.conversion.options import NORMAL
from flipshelf.conversion.pages import image_name
from flipshelf.domain import layout
from flipshelf.domain.access import Access
from flipshelf.domain.collections import Collection, CollectionStatus
from flipshelf.domain.hashes import is_collection_hash
from flipshelf.player.assets import (
    EMPTY_STYLE_HASH,
    PAGE_FLIP_STYLE_HASH,
    STATIC_DIR,
    asset_version,
)
from flipshelf.player.config import FILES_URL, Opening, PlayerConfig, player_config
from flipshelf.player.page import AssetPaths, render_message, render_player
from flipshelf.services import reading
from flipshelf.services.ports import FileStore, Ports
from flipshelf.web.caching import VersionedStatic
from flipshelf.web.links import reader_link

STATIC_MOUNT = "/static"
# The page lives at /widget/<hash>: relative URLs keep working behind a path prefix.
STATIC_PREFIX = "../static"


def live_assets() -> AssetPaths:
    return AssetPaths(STATIC_PREFIX, f"?v={asset_version()}")


def content_security_policy(file_origin: str | None = None) -> str:
    """Self only, except the object store readers are redirected to for page files (if any)."""
    files = f"'self' {file_origin}" if file_origin else "'self'"
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            f"style-src 'self' '{PAGE_FLIP_STYLE_HASH}' '{EMPTY_STYLE_HASH}'",
            f"img-src {files}",
            f"connect-src {files}",
            "base-uri 'none'",
            "form-action 'none'",
            # The player is made to be embedded by any site that pastes the embed code.
            "frame-ancestors *",
        ]
    )


def file_origin(files: FileStore) -> str | None:
    """The origin an object store's signed URLs point at (signing is local: no request)."""
    try:
        url = files.signed_url(layout.ORIGIN_PROBE, timedelta(minutes=1))
    except Exception:  # no credentials yet: files then fail to load, and the log says why
        return None
    if not url:
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") else None


MESSAGES = {
    Access.FORBIDDEN: ("This link is not valid", "Ask the owner of this flipbook for a new link."),
    Access.NOT_FOUND: ("Flipbook not found", "There is no flipbook at this address."),
    Access.EXPIRED: ("This link has expired", "Ask the owner of this flipbook for a new link."),
}


def first_page_files(collection: Collection, config: PlayerConfig) -> tuple[str, ...]:
    """What the live player fetches first, for the page to preload while its scripts load (on
    a slow network the page image otherwise waits for the scripts, then for the manifest): the
    opening book's manifest and, when it is ready, its opening page's normal image. The image's
    name is the converter's (conversion.pages.image_name), so it is known without the manifest.
    A deep link (#page=) may open elsewhere; the preload then only costs one image."""
    if config.offline or not config.books:
        return ()
    book = config.books[min(config.start_book, len(config.books) - 1)]
    item = collection.item(book.hash)
    query = f"?{config.query}" if config.query else ""
    files = [f"{FILES_URL}/{book.hash}/manifest.json{query}"]
    if item is not None and item.page_count and 0 < config.start_page <= item.pages_ready:
        name = image_name(config.start_page, item.page_count, NORMAL)
        files.append(f"{FILES_URL}/{book.hash}/{name}{query}")
    return tuple(files)


def _position(value: str | None) -> int:
    """startBook/startPage: a whole number from 1; anything else opens at the start."""
    if value and value.isascii() and value.isdigit() and 0 < int(value) < 10_000_000:
        return int(value)
    return 1


def _flag(value: str | None) -> bool:
    return (value or "").lower() in ("1", "true", "yes")


def is_rtl(collection: Collection, query_flag: str | None) -> bool:
    """Right-to-left reading: the collection's `rtl` setting, or `?rtl=1` on the widget URL
    (handy to try a book both ways)."""
    return collection.rtl or _flag(query_flag)


def security_headers(private: bool, policy: str | None = None) -> dict[str, str]:
    return {
        "Content-Security-Policy": policy or content_security_policy(),
        "X-Content-Type-Options": "nosniff",
        # A private link's signature must not leak to the sites its pages link to.
        "Referrer-Policy": "no-referrer" if private else "strict-origin-when-cross-origin",
        "Cache-Control": "private, no-store" if private else "no-cache",
    }


def _message_page(state: Access) -> Response:
    heading, detail = MESSAGES[state]
    html = render_message(heading, detail, live_assets())
    return HTMLResponse(html, status_code=state.value, headers=security_headers(private=True))


class Widget:
    def __init__(self, ports: Ports) -> None:
        self.ports = ports
        self._policy: str | None = None

    @property
    def policy(self) -> str:
        # Worked out on first use, in the serving process (never before a fork).
        if self._policy is None:
            self._policy = content_security_policy(file_origin(self.ports.files))
        return self._policy

    async def page(self, request: Request) -> Response:
        collection_hash = request.path_params["collection"]
        if not is_collection_hash(collection_hash):
            return _message_page(Access.NOT_FOUND)
        opened = await run_in_threadpool(
            reading.open_collection, self.ports, collection_hash, reader_link(request)
        )
        collection = opened.collection
        if collection is None:
            return _message_page(opened.access)
        private = collection.status is CollectionStatus.PRIVATE
        query = request.query_params
        opening = Opening(
            start_book=_position(query.get("startBook")),
            start_page=_position(query.get("startPage")),
            rtl=is_rtl(collection, query.get("rtl")),
            signed_query=(
                f"exp={query['exp']}&sig={query['sig']}" if private else ""
            ),  # checked above: digits and 64 hex characters
        )
        config = player_config(collection, opening)
        preloads = first_page_files(collection, config)
        html = render_player(collection, config, live_assets(), preloads=preloads)
        return HTMLResponse(html, headers=security_headers(private, self.policy))


def widget_routes(ports: Ports) -> list[BaseRoute]:
    widget = Widget(ports)
    return [
        Route("/widget/{collection}", widget.page, methods=["GET", "HEAD"]),
        Mount(
            STATIC_MOUNT,
            app=VersionedStatic(directory=STATIC_DIR, version=asset_version()),
            name="static",
        ),
    ]
