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
        self._version = f"v={version}"

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["X-Content-Type-Options"] = "nosniff"
        versioned = self._version in scope.get("query_string", b"").decode("latin-1")
        response.headers["Cache-Control"] = IMMUTABLE if versioned else "public, max-age=3600"
        return response
