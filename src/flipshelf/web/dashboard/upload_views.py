"""Publishing: a new collection from a file or a URL, more books, a logo, a background.

Bodies stream through `web.staging`, the API's own path: the byte cap, the staging file, the
same refusals (file too large, more than one file, wrong type, monthly quota) and the same use
cases in `services.uploads`. The CSRF token (header or a field before the file) is checked
before the first byte of the file is read. The page's script sends one file per request and
reads JSON; a form posted without script gets the same JSON's refusal as a page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from flipshelf.domain.collections import (
    DEFAULT_HEIGHT,
    DEFAULT_WIDTH,
    Collection,
    CollectionStatus,
    default_title,
    parse_collection_status,
    parse_title,
)
from flipshelf.domain.errors import BadRequest, MissingParameter
from flipshelf.domain.layout import ImageRole
from flipshelf.services import collections, uploads
from flipshelf.web import staging
from flipshelf.web.dashboard.collection_views import CHANGEABLE_IMAGES, image_url
from flipshelf.web.dashboard.context import Dashboard, Visit
from flipshelf.web.dashboard.forms import Form
from flipshelf.web.dashboard.guard import CSRF_FIELD, CsrfRefused, Guard, see_other, wants_json
from flipshelf.web.dashboard.presenters import STATUS_HELP, STATUS_LABELS, progress_view
from flipshelf.web.dashboard.render import Problem, json_answer, not_found, root
from flipshelf.web.staging import StagedFile, content_type

UseCase = Callable[[Form, StagedFile], Collection]


@dataclass
class Upload:
    form: Form
    staged: StagedFile | None


async def read_upload(guard: Guard, dash: Dashboard, visit: Visit) -> Upload:
    """The form and its file (staged), or the form alone (urlencoded, for a fileUrl)."""
    request = visit.request
    form = Form()

    def allowed() -> bool:
        return guard.csrf_ok(visit, form.get(CSRF_FIELD))

    async def gate() -> bool:
        if not allowed():
            raise CsrfRefused()
        return True

    kind, options = content_type(request)
    staged = None
    if kind == "multipart/form-data":
        boundary = options.get(b"boundary")
        if not boundary:
            raise BadRequest("multipart body without a boundary")
        rules = staging.StagingRules(dash.staging_dir, dash.max_upload_bytes)
        body = await staging.read_multipart(request, boundary, form.add, gate, rules)
        staged = body.staged
    elif kind == "application/x-www-form-urlencoded":
        form = Form.parse(await staging.read_capped(request))
    else:
        raise BadRequest("send the file as multipart/form-data")
    if not allowed():
        if staged is not None:
            staged.discard()
        raise CsrfRefused()
    return Upload(form, staged)


async def _staged(dash: Dashboard, upload: Upload) -> StagedFile:
    """The uploaded file, or the `fileUrl` fetched through the guarded fetcher."""
    upload.form.checked()
    if upload.staged is not None:
        return upload.staged
    url = upload.form.present("fileUrl")
    if url is None:
        raise MissingParameter("choose a file or give its address")
    # Kept on the upload, so the one `finally` that discards uploads discards it too.
    upload.staged = await staging.stage_url(dash.ports.fetcher, dash.staging_dir, url.strip())
    return upload.staged


def _title(form: Form, staged: StagedFile) -> str:
    given = form.present("title")
    return parse_title(given) if given else default_title(staged.client_name)


class UploadViews:
    def __init__(self, guard: Guard) -> None:
        self.guard = guard

    async def new_page(self, dash: Dashboard, visit: Visit, problem: Problem | None) -> Response:
        return self.guard.show(
            visit,
            "new.html",
            problem,
            statuses=list(CollectionStatus),
            labels=STATUS_LABELS,
            status_help=STATUS_HELP,
            max_bytes=dash.max_upload_bytes,
        )

    def _answer(self, visit: Visit, collection_hash: str, data: dict[str, object]) -> Response:
        """JSON for the page's script; a form sent without script goes to the collection."""
        url = f"{root(visit.request)}/dashboard/c/{collection_hash}"
        if not wants_json(visit.request):
            return see_other(f"{url}?done=saved")
        return json_answer({**data, "url": url})

    async def _publish(self, dash: Dashboard, visit: Visit, use: UseCase) -> Collection:
        """Reads the upload (or fetches its address), runs `use` on it, discards what is left."""
        upload = await read_upload(self.guard, dash, visit)
        try:
            staged = await _staged(dash, upload)
            return await run_in_threadpool(use, upload.form, staged)
        finally:
            _discard(upload)

    def _progress(self, visit: Visit, collection: Collection) -> Response:
        thumb = image_url(root(visit.request), collection, "thumb")
        return self._answer(visit, collection.hash, progress_view(collection, thumb))

    async def create(self, dash: Dashboard, visit: Visit) -> Response:
        def use(form: Form, staged: StagedFile) -> Collection:
            status = form.present("collectionStatus")
            title = _title(form, staged)
            fields = uploads.CollectionFields(
                title,
                "",
                parse_collection_status(status) if status else CollectionStatus.PUBLISHED,
                DEFAULT_WIDTH,
                DEFAULT_HEIGHT,
            )
            return uploads.create_collection(
                dash.ports, visit.account, staged.path, fields, dash.limits
            )

        return self._progress(visit, await self._publish(dash, visit, use))

    async def add_book(self, dash: Dashboard, visit: Visit) -> Response:
        collection_hash = visit.path_param("collection")
        # 404 before anything is read or fetched.
        await run_in_threadpool(collections.find_owned, dash.ports, visit.account, collection_hash)

        def use(form: Form, staged: StagedFile) -> Collection:
            title = _title(form, staged)
            return uploads.add_flipbook(
                dash.ports, visit.account, collection_hash, staged.path, title, dash.limits
            )

        return self._progress(visit, await self._publish(dash, visit, use))

    async def set_image(self, dash: Dashboard, visit: Visit) -> Response:
        collection_hash, role = visit.path_param("collection"), visit.path_param("role")
        if role not in CHANGEABLE_IMAGES:
            return not_found(visit.request, self.guard.policy)
        await run_in_threadpool(collections.find_owned, dash.ports, visit.account, collection_hash)
        image_role = ImageRole(role)

        def use(_form: Form, staged: StagedFile) -> Collection:
            return uploads.replace_image(
                dash.ports, visit.account, collection_hash, staged.path, image_role
            )

        updated = await self._publish(dash, visit, use)
        image = image_url(root(visit.request), updated, role)
        return self._answer(visit, updated.hash, {"image": image})


def _discard(upload: Upload) -> None:
    if upload.staged is not None:
        upload.staged.discard()
