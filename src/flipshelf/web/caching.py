"""How long browsers and shared caches may keep what the public routes answer."""

from __future__ import annotations

import os

from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

# Content-addressed or versioned URLs (page images, text, ?v=<version> assets): never change.
IMMUTABLE = "public, max-age=31536000, immutable"
# A private collection's files: the reader's browser may keep them, shared caches may not.
PRIVATE_CACHE = "private, max-age=3600"


class VersionedStatic(StaticFiles):
    """Static files (scripts, styles, vendored code) with `nosniff`, cached for good when asked
    for with `?v=<version>` of the folder they come from (the pages always ask so)."""

    def __init__(self, *, directory: str | os.PathLike[str], version: str) -> None:
        super().__init__(directory=directory)
        self._version = version

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers.update(static_headers(scope, self._version))
        return response


def static_headers(scope: Scope, version: str) -> dict[str, str]:
    """`nosniff`, and a cache lifetime: for good when the URL asks for `version` (`?v=...`),
    an hour otherwise."""
    versioned = f"v={version}" in scope.get("query_string", b"").decode("latin-1")
    return {
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": IMMUTABLE if versioned else "public, max-age=3600",
    }
