"""Posting webhook deliveries behind the same SSRF guard as fileUrl fetches.

The URL is checked when it is registered and again on every delivery: a name that led to a public
address then may lead to a private one now (DNS rebinding, or a changed record). As for fetches,
every resolved address must be allowed, the socket is connected to the checked address, and proxy
variables are ignored. Redirects are not followed: a receiver answers, it does not send us on.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Mapping

from flipshelf import __version__
from flipshelf.domain.errors import BadRequest
from flipshelf.domain.webhooks import Attempt
from flipshelf.fetch.connection import connect
from flipshelf.fetch.errors import FetchRefused, Refusal
from flipshelf.fetch.guard import checked_addresses
from flipshelf.fetch.http11 import Exchange
from flipshelf.fetch.policy import AllowList
from flipshelf.fetch.resolver import Resolver, SystemResolver
from flipshelf.fetch.urls import Target, parse_target

USER_AGENT = f"flipshelf/{__version__} (webhooks)"
CONNECT_TIMEOUT_SECONDS = 10.0

# What the owner reads in the delivery log. The refusal's detail (where a name led) goes to the
# server log only: as for fileUrl, an API client must not learn how internal names resolve.
OWNER_REASONS = {
    Refusal.URL: "refused: not a plain http(s) URL",
    Refusal.ADDRESS: "refused: the host leads to an address that is not allowed",
    Refusal.RESOLVE: "the host name does not resolve",
    Refusal.REDIRECTS: "refused: redirect",
    Refusal.UNREACHABLE: "could not connect",
    Refusal.TLS: "TLS handshake or certificate verification failed",
    Refusal.STATUS: "unexpected status",
    Refusal.PROTOCOL: "the answer was not valid HTTP/1.1",
    Refusal.DEADLINE: "no answer in time",
}


async def checked_target(url: str, allow: AllowList, resolver: Resolver) -> Target:
    """The URL's target once its shape and every address it leads to pass the guard."""
    target = parse_target(url)
    await checked_addresses(target, allow, resolver)
    return target


async def post(
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    allow: AllowList,
    timeout_seconds: float,
    resolver: Resolver | None = None,
    tls_context: ssl.SSLContext | None = None,
) -> int:
    """POSTs `body` and answers the response's status (its body is not read). Raises
    FetchRefused for a refused URL or address, an unreachable host, TLS or HTTP trouble, or
    the deadline."""
    deadline = asyncio.timeout(timeout_seconds)
    try:
        async with deadline:
            return await _post(url, body, headers, allow, resolver or SystemResolver(), tls_context)
    except TimeoutError:
        if not deadline.expired():
            raise
        raise FetchRefused(Refusal.DEADLINE, f"no answer within {timeout_seconds} s") from None


async def _post(
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    allow: AllowList,
    resolver: Resolver,
    tls_context: ssl.SSLContext | None,
) -> int:
    target = parse_target(url)
    addresses = await checked_addresses(target, allow, resolver)
    reader, writer = await connect(
        target, addresses, connect_timeout=CONNECT_TIMEOUT_SECONDS, tls_context=tls_context
    )
    try:
        http = Exchange(reader, writer)
        await http.send_post(target, USER_AGENT, list(headers.items()), body)
        return (await http.read_head()).status
    finally:
        writer.transport.abort()


class GuardedWebhookSender:
    """The WebhookSender port: the guard's refusals become 40 at registration, and a failed
    attempt (with its reason) at delivery. Both are called from threads (the API runs actions
    in a thread pool, workers run jobs in threads), so each gets a short-lived event loop."""

    def __init__(
        self,
        allow: AllowList,
        timeout_seconds: float,
        resolver: Resolver | None = None,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        self._allow, self._timeout = allow, timeout_seconds
        self._resolver, self._tls = resolver, tls_context

    def check(self, url: str) -> None:
        resolver = self._resolver or SystemResolver()
        try:
            asyncio.run(checked_target(url, self._allow, resolver))
        except FetchRefused as refused:
            raise BadRequest(f"webhook url refused: {refused.reason}") from None

    def send(self, url: str, body: bytes, headers: Mapping[str, str]) -> Attempt:
        try:
            status = asyncio.run(
                post(
                    url,
                    body,
                    headers,
                    allow=self._allow,
                    timeout_seconds=self._timeout,
                    resolver=self._resolver,
                    tls_context=self._tls,
                )
            )
        except FetchRefused as refused:
            return Attempt(None, OWNER_REASONS[refused.kind], detail=refused.reason)
        return Attempt(status)
