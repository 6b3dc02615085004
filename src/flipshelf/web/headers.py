"""Headers every answer carries, whatever route made it: one home, so no route can forget them.

`X-Content-Type-Options: nosniff` stops a browser from guessing a type other than the one sent:
an uploaded file served as an image, a text file or a download must never run as HTML or script
because its first bytes look like it. Routes set the rest themselves (caching, their own
Content-Security-Policy, Content-Disposition); the table in docs/security.md lists them.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

EVERY_ANSWER = {"X-Content-Type-Options": "nosniff"}


class SecurityHeaders:
    """ASGI middleware adding EVERY_ANSWER's headers to each HTTP answer that lacks them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in EVERY_ANSWER.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, with_headers)
