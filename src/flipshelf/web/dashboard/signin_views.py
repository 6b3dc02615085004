"""Signing in (password or one-time link) and out.

The sign-in forms come before any session, so their CSRF token is a random value in a cookie of
their own (`flipshelf_signin`, SameSite=Strict) that the form must repeat: another site cannot
sign a browser in to an account of its choosing. A login link only shows a "Continue" button on
GET; the POST of that button uses it up, so link previews and mail scanners that fetch links do
not spend it.
"""

from __future__ import annotations

import secrets

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from flipshelf.domain.errors import LoginLinkRefused, SignInRefused, SignInThrottled
from flipshelf.domain.signin import csrf_matches
from flipshelf.services import signin
from flipshelf.services.signin import LinkParts, OpenedSession
from flipshelf.web.dashboard.context import Dashboard, Visit
from flipshelf.web.dashboard.forms import Form
from flipshelf.web.dashboard.guard import (
    COOKIE_PATH,
    CSRF_FIELD,
    SESSION_COOKIE,
    Guard,
    safe_next,
    see_other,
)
from flipshelf.web.dashboard.render import render, root
from flipshelf.web.staging import BodyTooLarge, read_capped

SIGNIN_COOKIE = "flipshelf_signin"
SIGNIN_PATH = "/dashboard/login"
_LINK_MESSAGES = {
    "invalid": ("This sign-in link is not valid", 403),
    "expired": ("This sign-in link has expired", 410),
    "used": ("This sign-in link was used already", 410),
}


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _link_parts(values: dict[str, str] | Form) -> LinkParts:
    get = values.get
    return LinkParts(get("account"), get("nonce"), get("exp"), get("sig"))


class SignInViews:
    def __init__(self, guard: Guard) -> None:
        self.guard = guard
        self.dash: Dashboard = guard.dash

    def _token(self, request: Request) -> str:
        token = request.cookies.get(SIGNIN_COOKIE, "")
        return token if 32 <= len(token) <= 64 and token.isascii() else secrets.token_urlsafe(32)

    def _page(
        self, request: Request, template: str, status: int = 200, **context: object
    ) -> Response:
        token = self._token(request)
        response = render(
            request, self.guard.policy, template, status, signin_csrf=token, **context
        )
        response.set_cookie(
            SIGNIN_COOKIE,
            token,
            path=SIGNIN_PATH,
            httponly=True,
            samesite="strict",
            secure=self.dash.secure_cookies,
        )
        return response

    async def _form(self, request: Request) -> Form | None:
        """The posted sign-in form, if its token repeats the sign-in cookie's."""
        try:
            form = Form.parse(await read_capped(request))
        except BodyTooLarge:
            return None
        if form.problem or not csrf_matches(
            request.cookies.get(SIGNIN_COOKIE, ""), form.get(CSRF_FIELD)
        ):
            return None
        return form

    def _signed_in(self, request: Request, opened: OpenedSession, target: str) -> Response:
        response = see_other(target)
        response.set_cookie(
            SESSION_COOKIE,
            opened.token,
            max_age=int(self.dash.sign_in.policy.absolute.total_seconds()),
            path=COOKIE_PATH,
            httponly=True,
            samesite="lax",
            secure=self.dash.secure_cookies,
        )
        response.delete_cookie(SIGNIN_COOKIE, path=SIGNIN_PATH)
        return response

    async def login_page(self, request: Request) -> Response:
        next_path = safe_next(request.query_params.get("next"), root(request))
        if await self.guard.session(request) is not None:
            return see_other(next_path)
        signed_out = request.query_params.get("done") == "signed-out"
        return self._page(request, "login.html", next=next_path, signed_out=signed_out)

    async def login(self, request: Request) -> Response:
        form = await self._form(request)
        if form is None:
            return self.guard.forbidden(request)
        name, password = form.get("name") or "", form.get("password") or ""
        next_path = safe_next(form.get("next"), root(request))
        try:
            opened = await run_in_threadpool(
                signin.sign_in_with_password,
                self.dash.ports,
                self.dash.sign_in,
                name,
                password,
                _address(request),
            )
        except SignInThrottled as throttled:
            response = self._page(
                request, "login.html", 429, next=next_path, name=name, wait=throttled.retry_after
            )
            response.headers["Retry-After"] = str(throttled.retry_after)
            return response
        except SignInRefused:
            return self._page(request, "login.html", 401, next=next_path, name=name, wrong=True)
        return self._signed_in(request, opened, next_path)

    def _link_refused(self, request: Request, refused: LoginLinkRefused) -> Response:
        heading, status = _LINK_MESSAGES.get(refused.kind, _LINK_MESSAGES["invalid"])
        return render(
            request,
            self.guard.policy,
            "message.html",
            status,
            heading=heading,
            detail="Ask the operator for a new one: flipshelf accounts login-link NAME",
            sign_in=True,
        )

    async def link_page(self, request: Request) -> Response:
        parts = _link_parts(dict(request.query_params))
        try:
            account = await run_in_threadpool(
                signin.check_login_link, self.dash.ports, self.dash.sign_in, parts
            )
        except LoginLinkRefused as refused:
            return self._link_refused(request, refused)
        response = self._page(request, "link.html", account=account, link=parts)
        response.headers["Referrer-Policy"] = "no-referrer"  # the link is a credential
        return response

    async def redeem_link(self, request: Request) -> Response:
        form = await self._form(request)
        if form is None:
            return self.guard.forbidden(request)
        try:
            opened = await run_in_threadpool(
                signin.redeem_login_link, self.dash.ports, self.dash.sign_in, _link_parts(form)
            )
        except LoginLinkRefused as refused:
            return self._link_refused(request, refused)
        return self._signed_in(request, opened, f"{root(request)}/dashboard/")

    async def logout(self, _dash: Dashboard, visit: Visit) -> Response:
        await run_in_threadpool(signin.sign_out, self.dash.sign_in, visit.session)
        response = see_other(f"{root(visit.request)}{SIGNIN_PATH}?done=signed-out")
        response.delete_cookie(SESSION_COOKIE, path=COOKIE_PATH)
        return response
