"""A scripted v1 server on httpx.MockTransport, a fake clock, and a multipart reader: for the
unit tests of what the client sends and how it reacts (nothing here is a network)."""

from __future__ import annotations

import email.parser
import email.policy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import httpx

from flipshelf_client import AsyncClient, Client

KEY, SECRET = "45FD-267-7SG7832", "123ABCDE-456-7890-FGH"
URL = "http://books.test"


def envelope(code: int = 20, data: Any = None, status: str = "OK") -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "status": status}
    if data is not None:
        body["data"] = data
    return body


def collection_wire(
    collection_hash: str = "k3v9q2m8xz", *items: dict[str, Any], **extra: Any
) -> dict[str, Any]:
    return {
        "collectionHash": collection_hash,
        "collectionTitle": "Spring catalogue",
        "collectionDescription": "",
        "collectionStatus": "published",
        "thumbnailUrl": None,
        "logoUrl": None,
        "backgroundImageUrl": None,
        "collectionItems": list(items),
        "rtl": False,
        "settings": {"collectionWidth": "650", "collectionHeight": "385"},
        **extra,
    }


def item_wire(status: str = "COMPLETE", ready: int = 5, count: int | None = 5) -> dict[str, Any]:
    item: dict[str, Any] = {
        "flipbookHash": "p" * 32,
        "flipbookTitle": "spring",
        "extension": "pdf",
        "convertStatus": status,
        "pageCount": count,
    }
    if status == "PROCESSING":
        item["pagesReady"] = ready
    if status == "FAILED":
        item["convertError"] = "not a PDF"
    return item


@dataclass
class Sent:
    """One request as the fake server read it."""

    method: str
    params: dict[str, str]
    file: bytes | None
    filename: str | None
    headers: httpx.Headers
    body: bytes


def read_request(request: httpx.Request, body: bytes) -> Sent:
    params = dict(parse_qsl(request.url.query.decode(), keep_blank_values=True))
    file = filename = None
    if request.method == "POST":
        head = f"Content-Type: {request.headers['content-type']}\r\n\r\n".encode()
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            if name == "file":
                file, filename = payload, part.get_filename()
            else:
                params[str(name)] = payload.decode()
    return Sent(request.method, params, file, filename, request.headers, body)


Answer = dict[str, Any] | httpx.Response | Exception


@dataclass
class FakeServer:
    """Answers each request with the next scripted answer (the last one repeats), or with
    `respond(sent)` when given."""

    answers: list[Answer] = field(default_factory=list)
    respond: Callable[[Sent], Answer] | None = None
    sent: list[Sent] = field(default_factory=list)

    def handler(self, request: httpx.Request) -> httpx.Response:
        # MockTransport has read the whole (streamed) body before calling us.
        sent = read_request(request, request.content)
        self.sent.append(sent)
        if self.respond is not None:
            answer = self.respond(sent)
        else:
            answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        if isinstance(answer, httpx.Response):
            return answer
        headers = {"X-Request-Id": "0123456789abcdef"}
        return httpx.Response(200, json=answer, headers=headers)


@dataclass
class FakeClock:
    """Monotonic seconds that move only when the client sleeps."""

    moment: float = 1000.0
    slept: list[float] = field(default_factory=list)

    def __call__(self) -> float:
        return self.moment

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.moment += seconds

    async def async_sleep(self, seconds: float) -> None:
        self.sleep(seconds)


def client_for(server: FakeServer, clock: FakeClock | None = None, **options: Any) -> Client:
    clock = clock or FakeClock()
    return Client(
        URL,
        KEY,
        SECRET,
        transport=httpx.MockTransport(server.handler),
        clock=clock,
        sleep=clock.sleep,
        **options,
    )


def async_client_for(
    server: FakeServer, clock: FakeClock | None = None, **options: Any
) -> AsyncClient:
    clock = clock or FakeClock()
    return AsyncClient(
        URL,
        KEY,
        SECRET,
        transport=httpx.MockTransport(server.handler),
        clock=clock,
        sleep=clock.async_sleep,
        **options,
    )
