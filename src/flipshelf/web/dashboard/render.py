"""Rendering the dashboard's pages and answers: templates, security headers, refusals.

Everything an owner typed (titles, descriptions, file names) reaches the page through Jinja2's
autoescape or a JSON data block escaped for HTML (`player.escaping.html_json`), never as markup.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from flipshelf.domain.codes import Code
from flipshelf.domain.errors import FlipshelfError
from flipshelf.player.assets import asset_version
from flipshelf.player.escaping import html_json

WEB = Path(__file__).resolve().parents[1]
TEMPLATES = WEB / "templates" / "dashboard"
# The dashboard's scripts and styles, served at /static/dashboard/ (see dashboard_routes).
STATIC_DIR = WEB / "static" / "dashboard"

_templates = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
_templates.filters["json_block"] = html_json

# The v1 codes a dashboard refusal answers with as HTTP statuses; anything else is 400.
_STATUSES = {
    Code.INVALID_COLLECTION_HASH: 404,  # unknown
    Code.FORBIDDEN: 404,  # another account's or deleted: not found, like unknown
    Code.FILE_TOO_LARGE: 413,
    Code.PROCESSING: 409,
    Code.UPLOADS_PER_MONTH: 403,
}


@dataclass(frozen=True)
class Problem:
    """What went wrong, said to the owner: the same reason the API logs."""

    detail: str
    status: int = 400

    @classmethod
    def of(cls, error: FlipshelfError) -> Problem:
        return cls(error.detail or error.code.status_text, _STATUSES.get(error.code, 400))

    @property
    def not_found(self) -> bool:
        return self.status == 404


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def content_security_policy(public_url: str, file_origin: str | None) -> str:
    """Scripts, styles and data from this server only; images also from the file store; the
    embed preview frames the player at the public URL; no one may frame the dashboard."""
    files = f" {file_origin}" if file_origin else ""
    public = origin(public_url)
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            f"img-src 'self' {public}{files}",
            "connect-src 'self'",
            f"frame-src 'self' {public}",
            "base-uri 'none'",
            f"form-action 'self' {public}",
            "frame-ancestors 'none'",
        ]
    )


def headers(policy: str) -> dict[str, str]:
    return {
        "Content-Security-Policy": policy,
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "same-origin",
        # Pages show keys, secrets and private links: never kept by any cache.
        "Cache-Control": "no-store",
    }


def root(request: Request) -> str:
    """The path prefix the app is mounted under ("" at the top)."""
    value: str = request.scope.get("root_path", "")
    return value.rstrip("/")


def render(
    request: Request, policy: str, template: str, status_code: int = 200, **context: Any
) -> HTMLResponse:
    html = _templates.get_template(template).render(
        root=root(request),
        static=f"{root(request)}/static",
        version=f"?v={asset_version(STATIC_DIR)}",
        **context,
    )
    return HTMLResponse(html, status_code=status_code, headers=headers(policy))


def not_found(request: Request, policy: str) -> HTMLResponse:
    return render(
        request,
        policy,
        "message.html",
        404,
        heading="Not found",
        detail="There is nothing of yours at this address.",
    )


def json_answer(data: dict[str, Any], status: int = 200) -> JSONResponse:
    return JSONResponse(data, status_code=status, headers={"Cache-Control": "no-store"})


def json_problem(problem: Problem) -> Response:
    if problem.not_found:
        return json_answer({"error": "not found"}, 404)
    return json_answer({"error": problem.detail}, problem.status)
