"""The collections list and a collection's page: books with their conversion, settings, logo
and background, order, removal; and the small JSON the pages poll for progress."""

from __future__ import annotations

from collections.abc import Callable

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from flipshelf.domain.collections import (
    Collection,
    CollectionStatus,
    parse_changes,
    parse_collection_status,
)
from flipshelf.domain.errors import BadRequest, InvalidCollectionHash
from flipshelf.domain.hashes import is_collection_hash, is_flipbook_hash
from flipshelf.domain.listing import ListQuery, OrderBy, OrderMode, parse_query_text
from flipshelf.services import collections
from flipshelf.web.dashboard.context import Dashboard, Visit
from flipshelf.web.dashboard.guard import Guard, see_other
from flipshelf.web.dashboard.presenters import STATUS_HELP, STATUS_LABELS, progress_view
from flipshelf.web.dashboard.render import Problem, json_answer, not_found, root
from flipshelf.web.routes import serve_file, thumbnail_key

PAGE_SIZE = 24
MAX_PAGE = 100_000
MAX_POLLED = 100
CHANGEABLE_IMAGES = ("logo", "background")
DONE = {
    "saved": "Saved.",
    "moved": "Order saved.",
    "removed": "Book removed.",
    "deleted": "Collection deleted.",
    "logo": "Logo saved.",
    "background": "Background saved.",
    "created": "Collection created.",
}


def _page_number(value: str | None) -> int:
    if not value:
        return 1
    if not value.isascii() or not value.isdigit() or not 1 <= int(value) <= MAX_PAGE:
        raise BadRequest(f"page must be a whole number from 1 to {MAX_PAGE}")
    return int(value)


def _owned_hash(visit: Visit) -> str:
    """The collection hash of the path; a malformed one is not found (46 -> 404)."""
    collection_hash = visit.path_param("collection")
    if not is_collection_hash(collection_hash):
        raise InvalidCollectionHash("malformed collection hash")
    return collection_hash


def owned(dash: Dashboard, visit: Visit) -> Collection:
    return collections.find_owned(dash.ports, visit.account, _owned_hash(visit))


def image_url(root_path: str, collection: Collection, role: str) -> str | None:
    """The dashboard's own URL of a collection's thumbnail, logo or background (any status)."""
    present = {
        "thumb": any(item.pages_ready > 0 for item in collection.items),
        "logo": bool(collection.logo_key),
        "background": bool(collection.background_key),
    }[role]
    if not present:
        return None
    return f"{root_path}/dashboard/c/{collection.hash}/image/{role}?v={collection.version}"


class CollectionViews:
    def __init__(self, guard: Guard) -> None:
        self.guard = guard

    def _render(
        self, visit: Visit, template: str, problem: Problem | None = None, **context: object
    ) -> Response:
        done = DONE.get(visit.request.query_params.get("done", ""))
        return self.guard.show(
            visit,
            template,
            problem,
            done=None if problem else done,
            labels=STATUS_LABELS,
            **context,
        )

    async def listing(self, dash: Dashboard, visit: Visit, problem: Problem | None) -> Response:
        query = visit.request.query_params
        status = query.get("status") or None
        text = query.get("q") or ""
        number = _page_number(query.get("page"))
        chosen = ListQuery(
            status=parse_collection_status(status) if status else None,
            text=parse_query_text(text),
            offset=(number - 1) * PAGE_SIZE,
            limit=PAGE_SIZE,
            order_by=OrderBy.DATE,
            order_mode=OrderMode.DESC,
        )
        total, found = await run_in_threadpool(
            collections.search, dash.ports, visit.account, chosen
        )
        base = root(visit.request)
        return self._render(
            visit,
            "collections.html",
            problem,
            collections=found,
            thumbs={c.hash: image_url(base, c, "thumb") for c in found},
            total=total,
            page=number,
            pages=max(1, -(-total // PAGE_SIZE)),
            q=text,
            status=status or "",
            statuses=list(CollectionStatus),
        )

    async def collection(self, dash: Dashboard, visit: Visit, problem: Problem | None) -> Response:
        found = await run_in_threadpool(owned, dash, visit)
        base = root(visit.request)
        return self._render(
            visit,
            "collection.html",
            problem,
            collection=found,
            thumb=image_url(base, found, "thumb"),
            logo=image_url(base, found, "logo"),
            background=image_url(base, found, "background"),
            statuses=list(CollectionStatus),
            status_help=STATUS_HELP,
            widget=f"{dash.urls.widget_base}/{found.hash}",
            max_bytes=dash.max_upload_bytes,
        )

    async def settings(self, dash: Dashboard, visit: Visit) -> Response:
        changes = parse_changes(visit.form.get)
        await run_in_threadpool(
            collections.update, dash.ports, visit.account, _owned_hash(visit), changes
        )
        return self._back(visit, "saved")

    async def move(self, dash: Dashboard, visit: Visit) -> Response:
        offset = {"up": -1, "down": 1}.get(visit.form.get("direction") or "")
        if offset is None:
            raise BadRequest("direction is up or down")
        await run_in_threadpool(
            collections.move_flipbook,
            dash.ports,
            visit.account,
            _owned_hash(visit),
            self._book(visit),
            offset,
        )
        return self._back(visit, "moved")

    async def remove_book(self, dash: Dashboard, visit: Visit) -> Response:
        await run_in_threadpool(
            collections.delete_flipbook,
            dash.ports,
            visit.account,
            _owned_hash(visit),
            self._book(visit),
        )
        return self._back(visit, "removed")

    async def remove_image(self, dash: Dashboard, visit: Visit) -> Response:
        role = visit.path_param("role")
        if role not in CHANGEABLE_IMAGES:
            return not_found(visit.request, self.guard.policy)
        use_case = collections.delete_logo if role == "logo" else collections.delete_background
        await run_in_threadpool(use_case, dash.ports, visit.account, _owned_hash(visit))
        return self._back(visit, "saved")

    async def delete(self, dash: Dashboard, visit: Visit) -> Response:
        if visit.form.get("confirm") != "yes":
            raise BadRequest("tick the box to confirm that the collection goes for good")
        await run_in_threadpool(collections.delete, dash.ports, visit.account, _owned_hash(visit))
        return see_other(f"{root(visit.request)}/dashboard/?done=deleted")

    async def image(self, dash: Dashboard, visit: Visit, _problem: Problem | None) -> Response:
        found = await run_in_threadpool(owned, dash, visit)
        role = visit.path_param("role")
        keys: dict[str, Callable[[Collection], str | None]] = {
            "thumb": thumbnail_key,
            "logo": lambda c: c.logo_key,
            "background": lambda c: c.background_key,
        }
        key = keys[role](found) if role in keys else None
        if key is None:
            return not_found(visit.request, self.guard.policy)
        return serve_file(dash.ports, key, "private, no-cache")

    async def progress(self, dash: Dashboard, visit: Visit) -> Response:
        found = await run_in_threadpool(owned, dash, visit)
        return json_answer(progress_view(found, image_url(root(visit.request), found, "thumb")))

    async def progress_of_many(self, dash: Dashboard, visit: Visit) -> Response:
        """Progress of the listed collections (`?c=HASH`, repeated): 404 if any is not the
        account's."""
        hashes = list(dict.fromkeys(visit.request.query_params.getlist("c")))
        if not hashes or len(hashes) > MAX_POLLED:
            raise BadRequest(f"ask for 1 to {MAX_POLLED} collections")
        base = root(visit.request)

        def read() -> dict[str, object]:
            found = [collections.find_owned(dash.ports, visit.account, h) for h in hashes]
            return {c.hash: progress_view(c, image_url(base, c, "thumb")) for c in found}

        return json_answer({"collections": await run_in_threadpool(read)})

    def _book(self, visit: Visit) -> str:
        flipbook_hash = visit.path_param("flipbook")
        if not is_flipbook_hash(flipbook_hash):
            raise BadRequest("no such flipbook in this collection")
        return flipbook_hash

    def _back(self, visit: Visit, done: str) -> Response:
        base = root(visit.request)
        return see_other(f"{base}/dashboard/c/{_owned_hash(visit)}?done={done}")
