"""`GET /packages/<id>.zip?v=&exp=&sig=`: the download behind collection.downloadHTML's
resourceUrl. Tampered or foreign links answer 403, late ones 410, each with a short message; a
package that is gone (its collection moved on and it was cleaned up) answers 404."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterator
from datetime import timedelta

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import BaseRoute, Route

from flipshelf.domain.access import LinkCheck
from flipshelf.security.package_links import ROUTE_PREFIX
from flipshelf.services.packages import package_download
from flipshelf.services.ports import Ports

_NAME = re.compile(r"([1-9][0-9]{0,17})\.zip")
REFUSALS = {
    LinkCheck.INVALID: (403, "This download link is not valid.\n"),
    LinkCheck.EXPIRED: (410, "This download link has expired. Ask for a new one.\n"),
}
GONE = (404, "This package is no longer available.\n")
NO_STORE = {"Cache-Control": "private, no-store"}  # nosniff: on every answer (web/headers.py)
# Object stores: how long the redirect's presigned URL lasts (a download must start within it).
SIGNED_URL_LIFETIME = timedelta(minutes=1)
CHUNK = 1024 * 1024

Handler = Callable[[Request], Awaitable[Response]]


def _text(status: int, message: str) -> Response:
    return PlainTextResponse(message, status_code=status, headers=NO_STORE)


def _attachment(key: str) -> dict[str, str]:
    # The key's last segment is the server-made name ([a-z0-9-], ".zip"; domain/packages.py),
    # so it needs no escaping inside the quotes.
    return {**NO_STORE, "Content-Disposition": f'attachment; filename="{key.rsplit("/", 1)[-1]}"'}


def _chunks(ports: Ports, key: str) -> Iterator[bytes]:
    with ports.files.open_read(key) as data:
        while chunk := data.read(CHUNK):
            yield chunk


def _serve(ports: Ports, key: str) -> Response:
    path = ports.files.local_path(key)
    if path is not None:
        if not path.is_file():
            return _text(*GONE)
        # FileResponse streams with sendfile and answers Range requests.
        return FileResponse(path, media_type="application/zip", headers=_attachment(key))
    url = ports.files.signed_url(key, SIGNED_URL_LIFETIME)
    if url is not None:
        # The object store serves the bytes and Range itself; the object was stored with the
        # same Content-Disposition (jobs/package.py), so it saves under the same name.
        return RedirectResponse(url, status_code=307, headers=NO_STORE)
    # A store with neither (the in-memory one): stream it through this process.
    return StreamingResponse(
        _chunks(ports, key), media_type="application/zip", headers=_attachment(key)
    )


def download(ports: Ports) -> Handler:
    async def handler(request: Request) -> Response:
        match = _NAME.fullmatch(request.path_params["name"])
        if match is None:
            return _text(404, "Not found\n")
        query = request.query_params
        check, package = await run_in_threadpool(
            package_download,
            ports,
            int(match[1]),
            query.get("v"),
            query.get("exp"),
            query.get("sig"),
        )
        if check is not LinkCheck.VALID:
            return _text(*REFUSALS[check])
        if package is None or package.key is None:
            return _text(*GONE)
        return _serve(ports, package.key)

    return handler


def package_routes(ports: Ports) -> list[BaseRoute]:
    return [Route(f"{ROUTE_PREFIX}/{{name}}", download(ports), methods=["GET", "HEAD"])]
