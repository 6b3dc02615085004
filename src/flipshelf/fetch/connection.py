"""Opening a connection to an address that was already checked, never to a host name.

Handing a name to `open_connection` would resolve it again, and a second answer (DNS rebinding)
could lead somewhere the check never saw. So the socket is connected to the checked IP here, and
the name is used only where it belongs: TLS SNI and certificate verification (and the Host header).
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Sequence
from functools import cache

from flipshelf.fetch.addresses import IPAddress
from flipshelf.fetch.errors import FetchRefused, Refusal
from flipshelf.fetch.urls import Target

# Larger than h11's 16 KiB head limit, so a whole head arrives in one read when it can.
STREAM_LIMIT = 256 * 1024

Streams = tuple[asyncio.StreamReader, asyncio.StreamWriter]


async def connect(
    target: Target,
    addresses: Sequence[IPAddress],
    *,
    connect_timeout: float,
    tls_context: ssl.SSLContext | None,
) -> Streams:
    """Streams to the first of `addresses` that accepts, speaking TLS for https targets."""
    failures: list[str] = []
    for ip in addresses:
        try:
            sock = await _connect_socket(ip, target.port, connect_timeout)
        except OSError as exc:  # refused, unroutable, or the per-address timeout
            failures.append(f"{ip}: {exc or type(exc).__name__}")
            continue
        return await _open_streams(sock, target, tls_context)
    raise FetchRefused(Refusal.UNREACHABLE, f"{target.host}: " + "; ".join(failures))


async def _connect_socket(ip: IPAddress, port: int, timeout: float) -> socket.socket:
    family = socket.AF_INET6 if ip.version == 6 else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setblocking(False)
        async with asyncio.timeout(timeout):
            await asyncio.get_running_loop().sock_connect(sock, (str(ip), port))
    except BaseException:
        sock.close()
        raise
    return sock


async def _open_streams(
    sock: socket.socket, target: Target, tls_context: ssl.SSLContext | None
) -> Streams:
    context = (tls_context or _default_tls_context()) if target.tls else None
    try:
        return await asyncio.open_connection(
            sock=sock,
            ssl=context,
            # SNI and the certificate check use the URL's host, not the address we dialled.
            server_hostname=target.host if context is not None else None,
            limit=STREAM_LIMIT,
        )
    except ssl.SSLError as exc:  # includes certificate verification failures
        sock.close()
        raise FetchRefused(Refusal.TLS, f"{target.host}: {exc}") from None
    except OSError as exc:
        sock.close()
        raise FetchRefused(Refusal.UNREACHABLE, f"{target.host}: {exc}") from None
    except BaseException:
        sock.close()
        raise


@cache
def _default_tls_context() -> ssl.SSLContext:
    # Loading the system CA store costs milliseconds; one verifying context serves every fetch.
    return ssl.create_default_context()
