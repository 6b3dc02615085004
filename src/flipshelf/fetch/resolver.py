"""Host name resolution, injectable so tests never depend on real DNS."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterable, Mapping
from ipaddress import ip_address
from typing import Protocol

from flipshelf.fetch.addresses import IPAddress
from flipshelf.fetch.errors import FetchRefused, Refusal


class Resolver(Protocol):
    """Answers every address `host` has; the fetch checks them all and connects only to those."""

    async def resolve(self, host: str, port: int) -> list[IPAddress]: ...


class SystemResolver:
    """The operating system's resolver (`getaddrinfo`), run off the event loop."""

    async def resolve(self, host: str, port: int) -> list[IPAddress]:
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(
                host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
            )
        except (socket.gaierror, UnicodeError) as exc:
            raise FetchRefused(Refusal.RESOLVE, f"cannot resolve {host!r}: {exc}") from None
        # dict.fromkeys: the same address comes back once per protocol; keep the OS's order.
        return list(dict.fromkeys(ip_address(str(info[4][0])) for info in infos))


class StaticResolver:
    """A fixed table of names to addresses: for tests, and for callers that resolved already."""

    def __init__(self, table: Mapping[str, Iterable[str | IPAddress]]) -> None:
        self._table = {
            name.lower(): [ip_address(str(ip)) for ip in addresses]
            for name, addresses in table.items()
        }
        self.lookups: list[str] = []

    async def resolve(self, host: str, port: int) -> list[IPAddress]:
        self.lookups.append(host)
        try:
            return list(self._table[host])
        except KeyError:
            raise FetchRefused(Refusal.RESOLVE, f"cannot resolve {host!r}") from None
