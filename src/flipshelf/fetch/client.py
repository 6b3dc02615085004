"""`fetch_to_file`: download a client's fileUrl into a file, refusing anything the guard does not
allow, following at most a few redirects, each checked from scratch."""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass
from pathlib import Path

from flipshelf.fetch.body import BodyFile
from flipshelf.fetch.connection import connect
from flipshelf.fetch.errors import FetchRefused, FetchTooLarge, Refusal
from flipshelf.fetch.guard import checked_addresses
from flipshelf.fetch.http11 import Exchange, ResponseHead
from flipshelf.fetch.policy import FetchPolicy
from flipshelf.fetch.resolver import Resolver, SystemResolver
from flipshelf.fetch.urls import Target, parse_target, redirect_target

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


@dataclass(frozen=True, slots=True)
class FetchResult:
    content_type: str | None  # as the server sent it; the caller detects the real type from bytes
    byte_count: int
    final_url: str  # after redirects, normalized
    redirects: int


async def fetch_to_file(
    url: str,
    dest: Path,
    *,
    policy: FetchPolicy,
    resolver: Resolver | None = None,
    tls_context: ssl.SSLContext | None = None,
) -> FetchResult:
    """Download `url` into `dest` (written, fsynced, closed) within `policy`.

    On any failure, cancellation included, `dest` does not exist afterwards. Raises FetchRefused
    or FetchTooLarge. `tls_context` replaces the system trust store (tests use a private CA).
    Proxy variables in the environment are never read: a proxy would make the connection, and its
    answers are not addresses the guard could check.
    """
    deadline = asyncio.timeout(policy.timeout_seconds)
    try:
        async with deadline:
            return await _follow(url, dest, policy, resolver or SystemResolver(), tls_context)
    except TimeoutError:
        dest.unlink(missing_ok=True)
        if not deadline.expired():
            raise  # not ours; no code path is known to raise one, so do not disguise it
        detail = f"not complete within {policy.timeout_seconds} s"
        raise FetchRefused(Refusal.DEADLINE, detail) from None
    except BaseException:
        dest.unlink(missing_ok=True)
        raise


async def _follow(
    url: str,
    dest: Path,
    policy: FetchPolicy,
    resolver: Resolver,
    tls_context: ssl.SSLContext | None,
) -> FetchResult:
    target = parse_target(url)
    for redirects in range(policy.max_redirects + 1):
        addresses = await checked_addresses(target, policy.allow, resolver)
        reader, writer = await connect(
            target,
            addresses,
            connect_timeout=policy.connect_timeout_seconds,
            tls_context=tls_context,
        )
        try:
            outcome = await _exchange(Exchange(reader, writer), target, dest, policy)
        finally:
            # Connection: close was asked for; abort rather than wait on a peer's TLS goodbye.
            writer.transport.abort()
        if isinstance(outcome, Target):
            target = outcome
            continue
        return FetchResult(outcome[0], outcome[1], target.url, redirects)
    raise FetchRefused(Refusal.REDIRECTS, f"more than {policy.max_redirects} redirects")


async def _exchange(
    http: Exchange, target: Target, dest: Path, policy: FetchPolicy
) -> Target | tuple[str | None, int]:
    """The next target for a redirect, or (content type, byte count) once the body is saved."""
    await http.send_get(target, policy.user_agent)
    head = await http.read_head()
    if head.status in REDIRECT_STATUSES:
        return _next_target(target, head)  # its body is never read
    if head.status != 200:
        raise FetchRefused(Refusal.STATUS, f"{target.url} answered HTTP {head.status}")
    _refuse_declared_oversize(head, policy.max_bytes)
    byte_count = await _save_body(http, dest, policy.max_bytes)
    return head.header("content-type"), byte_count


def _next_target(current: Target, head: ResponseHead) -> Target:
    location = head.header("location")
    if not location:
        raise FetchRefused(Refusal.REDIRECTS, f"HTTP {head.status} without a Location")
    return redirect_target(current, _as_utf8(location))


def _as_utf8(header_value: str) -> str:
    # Servers often put raw UTF-8 in Location; read as Latin-1 it would become mojibake and be
    # percent-encoded into a different URL.
    try:
        return header_value.encode("latin-1").decode("utf-8")
    except UnicodeDecodeError:
        return header_value


def _refuse_declared_oversize(head: ResponseHead, max_bytes: int) -> None:
    # h11 has already refused a malformed or contradictory Content-Length.
    declared = head.header("content-length")
    if declared is not None and int(declared) > max_bytes:
        raise FetchTooLarge(max_bytes)


async def _save_body(http: Exchange, dest: Path, max_bytes: int) -> int:
    body = await BodyFile.create(dest, max_bytes)
    try:
        async for chunk in http.body():
            await body.write(chunk)
        await body.finish()
    except BaseException:
        body.discard()
        raise
    return body.byte_count
