"""Keeps a test's sockets on 127.0.0.0/8 and its name lookups off the real DNS."""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

import pytest

LOOPBACK = ipaddress.ip_network("127.0.0.0/8")


def guard_sockets(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every IP a socket tries to connect to is recorded. Anything outside 127.0.0.0/8 fails the
    test before a packet is sent, so a broken guard can never reach a real network."""
    attempts: list[str] = []
    real_connect = socket.socket.connect
    real_getaddrinfo = socket.getaddrinfo

    def guarded_connect(self: socket.socket, address: Any) -> None:
        if isinstance(address, tuple):
            attempts.append(address[0])
            if ipaddress.ip_address(address[0].split("%")[0]) not in LOOPBACK:
                raise AssertionError(f"test tried to connect outside loopback: {address!r}")
        real_connect(self, address)

    def guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in (None, "localhost"):
            try:
                ipaddress.ip_address(host)
            except ValueError:
                raise AssertionError(f"test tried a real DNS lookup of {host!r}") from None
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", guarded_connect)
    monkeypatch.setattr(socket, "getaddrinfo", guarded_getaddrinfo)
    return attempts
