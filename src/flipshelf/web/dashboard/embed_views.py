"""Embedding: the embed code with its options and a live preview of exactly that code, private
links, and the offline package.

The code is `collection.getEmbed`'s (services.collections.embed, same options, same checks);
the preview is a page holding that code and nothing else, framed by the embed page.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse, Response

from flipshelf.domain.errors import FlipshelfError
from flipshelf.domain.packages import PackageStatus
from flipshelf.services import collections, links, packages
from flipshelf.web.dashboard.collection_views import owned
from flipshelf.web.dashboard.context import Dashboard, Visit
from flipshelf.web.dashboard.guard import Guard, see_other
from flipshelf.web.dashboard.render import Problem, json_answer, origin, root

OPTIONS = ("width", "height", "responsive", "startBook", "startPage", "https")
PRESETS = {
    "": "The collection's own size",
    "custom": "Custom: the width and height below",
    "350x250": "Small (350 by 250)",
    "650x385": "Medium (650 by 385)",
    "800x600": "Large (800 by 600)",
    "1000x700": "Wide (1000 by 700)",
}
LINK_LIFETIMES = {
    "3600": "1 hour",
    "86400": "1 day",
    "604800": "1 week",
    "2592000": "30 days",
    "31536000": "1 year",
}
PACKAGE_TEXT = {
    PackageStatus.PROCESSING: "Building the offline package…",
    PackageStatus.COMPLETE: "The offline package is ready.",
    PackageStatus.FAILED: "The offline package could not be built. Try again in a minute.",
}


def chosen_options(query: Any) -> dict[str, str]:
    """The embed options asked for; a size preset ("WxH") stands for width and height."""
    chosen = {name: query.get(name, "") for name in OPTIONS}
    preset = query.get("preset", "")
    if preset in PRESETS and "x" in preset:
        chosen["width"], chosen["height"] = preset.split("x")
    return chosen


def preview_policy(public_url: str) -> str:
    """The preview holds only the embed code: its inline styles, its frame, nothing else."""
    return "; ".join(
        [
            "default-src 'none'",
            "style-src 'unsafe-inline'",
            f"frame-src {origin(public_url)}",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'self'",
        ]
    )


class EmbedViews:
    def __init__(self, guard: Guard) -> None:
        self.guard = guard

    def _code(self, dash: Dashboard, visit: Visit, chosen: dict[str, str]) -> str:
        _found, code = collections.embed(
            dash.ports,
            visit.account,
            visit.path_param("collection"),
            lambda name: chosen.get(name) or None,
            dash.urls.widget_base,
        )
        return code

    async def page(
        self,
        dash: Dashboard,
        visit: Visit,
        problem: Problem | None,
        private_link: links.PlayerLink | None = None,
        package: packages.PackageAnswer | None = None,
    ) -> Response:
        found = await run_in_threadpool(owned, dash, visit)
        chosen = chosen_options(visit.request.query_params)
        try:
            code = await run_in_threadpool(self._code, dash, visit, chosen)
        except FlipshelfError as error:
            problem = problem or Problem.of(error)
            chosen = dict.fromkeys(OPTIONS, "")
            code = await run_in_threadpool(self._code, dash, visit, chosen)
        base = root(visit.request)
        query = urlencode({k: v for k, v in chosen.items() if v})
        return self.guard.show(
            visit,
            "embed.html",
            problem,
            collection=found,
            code=code,
            chosen=chosen,
            preset=visit.request.query_params.get("preset", ""),
            presets=PRESETS,
            preview=f"{base}/dashboard/c/{found.hash}/embed/preview?{query}",
            lifetimes=LINK_LIFETIMES,
            private_link=private_link,
            package=package,
            package_text=PACKAGE_TEXT[package.status] if package else None,
        )

    async def code(self, dash: Dashboard, visit: Visit) -> Response:
        """The code and the preview's address for the options asked for (the page's script
        asks on every change of an option)."""
        chosen = chosen_options(visit.request.query_params)
        code = await run_in_threadpool(self._code, dash, visit, chosen)
        query = urlencode({k: v for k, v in chosen.items() if v})
        base = f"{root(visit.request)}/dashboard/c/{visit.path_param('collection')}"
        return json_answer({"code": code, "preview": f"{base}/embed/preview?{query}"})

    async def preview(self, dash: Dashboard, visit: Visit, _problem: Problem | None) -> Response:
        chosen = chosen_options(visit.request.query_params)
        code = await run_in_threadpool(self._code, dash, visit, chosen)
        html = (
            '<!doctype html><html lang="en"><head><meta charset="utf-8">'
            "<title>Embed preview</title></head><body>"
            f"{Markup(code)}</body></html>"  # noqa: S704 - made by embed_code, which escapes
        )
        headers = {
            "Content-Security-Policy": preview_policy(dash.urls.base),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",
            "Referrer-Policy": "same-origin",
        }
        return HTMLResponse(html, headers=headers)

    async def make_private_link(self, dash: Dashboard, visit: Visit) -> Response:
        link = await run_in_threadpool(
            links.private_link,
            dash.ports,
            visit.account,
            visit.path_param("collection"),
            visit.form.get("expiresIn"),
            dash.urls.widget_base,
        )
        return await self.page(dash, visit, None, private_link=link)

    async def _package(self, dash: Dashboard, visit: Visit) -> packages.PackageAnswer:
        return await run_in_threadpool(
            packages.request_package, dash.ports, visit.account, visit.path_param("collection")
        )

    async def package(self, dash: Dashboard, visit: Visit) -> Response:
        """Starts the build (once per version) and says how it stands; polled while building."""
        answer = await self._package(dash, visit)
        return json_answer({"status": answer.status.value, "text": PACKAGE_TEXT[answer.status]})

    async def package_form(self, dash: Dashboard, visit: Visit) -> Response:
        """Without script: build, or download when ready (a fresh one-minute link)."""
        answer = await self._package(dash, visit)
        if answer.status is PackageStatus.COMPLETE and answer.resource_url:
            return see_other(answer.resource_url)
        return await self.page(dash, visit, None, package=answer)
