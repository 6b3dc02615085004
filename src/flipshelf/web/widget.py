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

from flipshelf.domain import layout
from flipshelf.domain.access import Access
from flipshelf.domain.collections import Collection, CollectionStatus
from flipshelf.domain.hashes import is_collection_hash
from flipshelf.player.assets import (
    BUNDLE,
    EMPTY_STYLE_HASH,
    PAGE_FLIP_STYLE_HASH,
    STATIC_DIR,
    asset_version,
    script_bundle,
)
from flipshelf.player.config import FILES_URL, Opening, PlayerConfig, player_config
from flipshelf.player.page import AssetPaths, render_message, render_player
from flipshelf.services import reading
from flipshelf.services.ports import FileStore, Ports
from flipshelf.web.caching import VersionedStatic, static_headers
from flipshelf.web.links import reader_link
from flipshelf.web.opening_page import Geometries, first_page, opening_book, opening_image

STATIC_MOUNT = "/static"
# The page lives at /widget/<hash>: relative URLs keep working behind a path prefix.
STATIC_PREFIX = "../static"


def live_assets() -> AssetPaths:
    return AssetPaths(STATIC_PREFIX, f"?v={asset_version()}")


def content_security_policy(file_origin: str | None = None, styles: tuple[str, ...] = ()) -> str:
    """Self only, except the object store readers are redirected to for page files (if any).
    `styles`: hash sources of the page's own `<style>` elements (the plain first page's)."""
    files = f"'self' {file_origin}" if file_origin else "'self'"
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            " ".join(
                ["style-src 'self'", f"'{PAGE_FLIP_STYLE_HASH}'", f"'{EMPTY_STYLE_HASH}'", *styles]
            ),
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
    opening book's manifest and, when it is ready, its opening page's normal image (which the
    page also shows at once as a plain image, see first_page()). A deep link (#page=) may open
    elsewhere; the preload then only costs one image."""
    book = opening_book(config)
    if book is None:
        return ()
    query = f"?{config.query}" if config.query else ""
    image = opening_image(collection, config)
    # The image first: it is what the reader sees first (a plain image, first_page()).
    return ((image,) if image else ()) + (f"{FILES_URL}/{book.hash}/manifest.json{query}",)


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
        self._file_origin: tuple[str | None] | None = None
        self.geometries = Geometries(ports.files)

    def policy(self, styles: tuple[str, ...] = ()) -> str:
        # The store's origin is worked out on first use, in the serving process (never before
        # a fork).
        if self._file_origin is None:
            self._file_origin = (file_origin(self.ports.files),)
        return content_security_policy(self._file_origin[0], styles)

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
        book = opening_book(config)
        geometry = None
        if book is not None and opening_image(collection, config):
            geometry = self.geometries.known.get((book.hash, config.start_page))
            if geometry is None:
                geometry = await run_in_threadpool(
                    self.geometries.get, book.hash, config.start_page
                )
        first = first_page(collection, config, geometry)
        html = render_player(collection, config, live_assets(), preloads=preloads, first=first)
        styles = (first.style_hash,) if first else ()
        return HTMLResponse(html, headers=security_headers(private, self.policy(styles)))


async def _script_bundle(request: Request) -> Response:
    """The player's scripts as the one file pages load (player/assets.py), cached as the static
    files are."""
    headers = static_headers(request.scope, asset_version())
    return Response(script_bundle(), media_type="text/javascript", headers=headers)


def widget_routes(ports: Ports) -> list[BaseRoute]:
    widget = Widget(ports)
    return [
        Route("/widget/{collection}", widget.page, methods=["GET", "HEAD"]),
        Route(f"{STATIC_MOUNT}/{BUNDLE}", _script_bundle, methods=["GET", "HEAD"]),
        Mount(
            STATIC_MOUNT,
            app=VersionedStatic(directory=STATIC_DIR, version=asset_version()),
            name="static",
        ),
    ]
