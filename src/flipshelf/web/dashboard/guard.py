"""Who may do what: the session cookie, the CSRF token, and the kinds of dashboard routes.

- `page`: GET; without a session the browser is sent to sign in and brought back.
- `action`: POST of a small urlencoded form; needs a session and the session's CSRF token in the
  form (`csrf`) or the `X-CSRF-Token` header, else 403 and nothing happens. A refusal re-renders
  the page the form came from with the reason.
- `data`: JSON for the page's scripts (progress, packages); POSTs need the token in the header.
- `upload`: POST of a streamed multipart body; the handler reads it and the token is checked
  before the first byte of the file (`upload_views.read_upload`).

Another account's collection (or a deleted one) answers 404 everywhere, like an unknown one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from python_multipart.exceptions import MultipartParseError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from flipshelf.domain.errors import FlipshelfError
from flipshelf.domain.signin import csrf_matches
from flipshelf.services import signin
from flipshelf.web.dashboard.context import Dashboard, Visit
from flipshelf.web.dashboard.forms import Form
from flipshelf.web.dashboard.render import (
    Problem,
    content_security_policy,
    json_answer,
    json_problem,
    not_found,
    render,
    root,
)
from flipshelf.web.staging import BodyTooLarge, read_capped
from flipshelf.web.widget import file_origin

SESSION_COOKIE = "flipshelf_session"
COOKIE_PATH = "/dashboard"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf"

Endpoint = Callable[[Request], Awaitable[Response]]
Page = Callable[[Dashboard, Visit, Problem | None], Awaitable[Response]]
Action = Callable[[Dashboard, Visit], Awaitable[Response]]


class CsrfRefused(Exception):
    """A state-changing request without the session's CSRF token."""


def safe_next(value: str | None, prefix: str) -> str:
    """Where to go after signing in: only a path of this dashboard, never another site."""
    home = f"{prefix}/dashboard/"
    if not value or not value.startswith(home) or "//" in value or "\\" in value:
        return home
    if any(ord(ch) < 0x21 or ord(ch) == 0x7F for ch in value):
        return home
    return value


def wants_json(request: Request) -> bool:
    """The page's script sends its token in a header and reads JSON; a plain form does not."""
    return CSRF_HEADER in request.headers


def see_other(location: str) -> RedirectResponse:
    return RedirectResponse(location, status_code=303)


class Guard:
    def __init__(self, dash: Dashboard) -> None:
        self.dash = dash
        self._policy: str | None = None

    @property
    def policy(self) -> str:
        # Worked out on first use, in the serving process (never before a fork).
        if self._policy is None:
            origin = self.dash.file_origin or file_origin(self.dash.ports.files)
            self._policy = content_security_policy(self.dash.urls.base, origin)
        return self._policy

    async def session(self, request: Request) -> signin.CurrentSession | None:
        token = request.cookies.get(SESSION_COOKIE)
        if not token:
            return None
        return await run_in_threadpool(signin.current, self.dash.ports, self.dash.sign_in, token)

    def csrf_ok(self, visit: Visit, given: str | None = None) -> bool:
        token = given or visit.request.headers.get(CSRF_HEADER)
        return csrf_matches(visit.session.csrf, token)

    def show(
        self, visit: Visit, template: str, problem: Problem | None, **context: Any
    ) -> Response:
        """A signed-in page: the account, the session's CSRF token and what went wrong."""
        context.setdefault("account", visit.account)
        status = problem.status if problem else 200
        return render(
            visit.request,
            self.policy,
            template,
            status,
            csrf=visit.session.csrf,
            problem=problem,
            **context,
        )

    def forbidden(self, request: Request) -> Response:
        return render(
            request,
            self.policy,
            "message.html",
            403,
            heading="Not allowed",
            detail="This form has expired or did not come from this dashboard. "
            "Go back, reload the page and try again.",
        )

    def page(self, show: Page) -> Endpoint:
        async def endpoint(request: Request) -> Response:
            session = await self.session(request)
            if session is None:
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                query = f"?next={_quote(target)}"
                return see_other(f"{root(request)}/dashboard/login{query}")
            try:
                return await show(self.dash, Visit(request, session), None)
            except FlipshelfError as error:
                return self._refused(request, Problem.of(error))

        return endpoint

    def action(self, act: Action, back: Page) -> Endpoint:
        async def endpoint(request: Request) -> Response:
            session = await self.session(request)
            if session is None:
                return self.forbidden(request)
            try:
                form = Form.parse(await read_capped(request))
            except BodyTooLarge:
                return self.forbidden(request)
            visit = Visit(request, session, form)
            if not self.csrf_ok(visit, form.get(CSRF_FIELD)):
                return self.forbidden(request)
            try:
                form.checked()
                return await act(self.dash, visit)
            except FlipshelfError as error:
                problem = Problem.of(error)
                if problem.not_found:
                    return not_found(request, self.policy)
                try:
                    return await back(self.dash, visit, problem)
                except FlipshelfError as again:
                    return self._refused(request, Problem.of(again))

        return endpoint

    def data(self, act: Action) -> Endpoint:
        async def endpoint(request: Request) -> Response:
            session = await self.session(request)
            if session is None:
                return json_answer({"error": "sign in first"}, 401)
            visit = Visit(request, session)
            if request.method != "GET" and not self.csrf_ok(visit):
                return json_answer({"error": "missing or wrong CSRF token"}, 403)
            try:
                return await act(self.dash, visit)
            except FlipshelfError as error:
                return json_problem(Problem.of(error))

        return endpoint

    def upload(self, act: Action) -> Endpoint:
        async def endpoint(request: Request) -> Response:
            session = await self.session(request)
            if session is None:
                return json_answer({"error": "sign in first"}, 401)
            try:
                return await act(self.dash, Visit(request, session))
            except CsrfRefused:
                if wants_json(request):
                    return json_answer({"error": "missing or wrong CSRF token"}, 403)
                return self.forbidden(request)
            except (BodyTooLarge, MultipartParseError):
                problem = Problem("the form is malformed or too large")
            except FlipshelfError as error:
                problem = Problem.of(error)
            return json_problem(problem) if wants_json(request) else self._refused(request, problem)

        return endpoint

    def _refused(self, request: Request, problem: Problem) -> Response:
        if problem.not_found:
            return not_found(request, self.policy)
        return render(
            request,
            self.policy,
            "message.html",
            problem.status,
            heading="That did not work",
            detail=problem.detail,
        )


def _quote(path: str) -> str:
    return quote(path, safe="/")
