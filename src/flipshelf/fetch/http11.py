"""One HTTP/1.1 GET over already-open streams, framed by h11.

h11 does the parsing that is easy to get wrong: chunked and Content-Length bodies, bodies that end
early, a head larger than 16 KiB. It never reads past the declared length, so a server that sends
more than its Content-Length cannot push extra bytes into the file.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass

import h11

from flipshelf.fetch.errors import FetchRefused, Refusal
from flipshelf.fetch.urls import Target

READ_SIZE = 64 * 1024


@dataclass(frozen=True, slots=True)
class ResponseHead:
    status: int
    headers: tuple[tuple[bytes, bytes], ...]  # names lowercased by h11

    def header(self, name: str) -> str | None:
        """The first value of header `name`, decoded as Latin-1 (HTTP's byte-preserving reading)."""
        wanted = name.lower().encode("ascii")
        for key, value in self.headers:
            if key == wanted:
                return value.decode("latin-1")
        return None


class Exchange:
    """The client side of one request and its response on one connection."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer
        self._conn = h11.Connection(our_role=h11.CLIENT)

    async def send_get(self, target: Target, user_agent: str) -> None:
        await self._send("GET", target, user_agent, [])

    async def send_post(
        self, target: Target, user_agent: str, headers: list[tuple[str, str]], body: bytes
    ) -> None:
        """A POST of `body` (a webhook delivery), with `headers` beside the fixed ones."""
        length = [("Content-Length", str(len(body)))]
        await self._send("POST", target, user_agent, headers + length, body)

    async def _send(
        self,
        method: str,
        target: Target,
        user_agent: str,
        extra: list[tuple[str, str]],
        body: bytes = b"",
    ) -> None:
        request = h11.Request(
            method=method,
            target=target.request_target,
            headers=[
                ("Host", target.authority),
                ("User-Agent", user_agent),
                ("Accept", "*/*"),
                # Decompressing is not needed, and a compressed body would dodge the byte cap.
                ("Accept-Encoding", "identity"),
                ("Connection", "close"),
                *extra,
            ],
        )
        try:
            data = self._conn.send(request) or b""
            if body:
                data += self._conn.send(h11.Data(data=body)) or b""
            data += self._conn.send(h11.EndOfMessage()) or b""
        except h11.LocalProtocolError as exc:
            raise FetchRefused(Refusal.URL, f"cannot send request: {exc}") from None
        self._writer.write(data)
        try:
            await self._writer.drain()
        except OSError as exc:
            raise FetchRefused(Refusal.UNREACHABLE, f"sending the request failed: {exc}") from None

    async def read_head(self) -> ResponseHead:
        """The final response head; 1xx interim responses are skipped."""
        while True:
            event = await self._next_event()
            if isinstance(event, h11.Response):
                return ResponseHead(event.status_code, tuple(event.headers))
            if not isinstance(event, h11.InformationalResponse):
                raise FetchRefused(Refusal.PROTOCOL, f"expected a response, got {event!r}")

    async def body(self) -> AsyncIterator[bytes]:
        """The body's bytes as they arrive, after de-chunking."""
        while True:
            event = await self._next_event()
            if isinstance(event, h11.Data):
                yield bytes(event.data)
            elif isinstance(event, h11.EndOfMessage):
                return
            else:
                raise FetchRefused(Refusal.PROTOCOL, f"unexpected {event!r} in the body")

    async def _next_event(self) -> h11.Event:
        while True:
            try:
                event = self._conn.next_event()
            except h11.RemoteProtocolError as exc:
                raise FetchRefused(Refusal.PROTOCOL, str(exc)) from None
            if event is h11.NEED_DATA:
                self._conn.receive_data(await self._read())  # b"" tells h11 the peer closed
                continue
            assert isinstance(event, h11.Event)  # PAUSED only follows a complete response
            return event

    async def _read(self) -> bytes:
        try:
            return await self._reader.read(READ_SIZE)
        except ssl.SSLError as exc:
            raise FetchRefused(Refusal.TLS, f"reading failed: {exc}") from None
        except OSError as exc:
            raise FetchRefused(Refusal.UNREACHABLE, f"reading failed: {exc}") from None
