"""Webhook deliveries through the fetch guard (fetch/webhooks.py), against real servers on
loopback: what a POST sends, what is refused at registration and again at delivery."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import anyio
import pytest

from flipshelf.domain.errors import BadRequest
from flipshelf.fetch import AllowList, StaticResolver
from flipshelf.fetch.addresses import IPAddress
from flipshelf.fetch.webhooks import GuardedWebhookSender

BODY = b'{"id":"evt_1","event":"flipbook.converted"}'
HEADERS = {"Content-Type": "application/json", "Flipshelf-Signature": "t=1,v1=ab"}
LOOPBACK = AllowList.parse("127.0.0.1/32")


@dataclass
class Posted:
    request_line: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Reads each request whole (head and Content-Length body), answers `answer`."""

    answer: bytes = b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n"
    hang: bool = False
    posted: list[Posted] = field(default_factory=list)
    port: int = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        headers = {
            name.strip().lower(): value.strip()
            for name, _, value in (line.partition(":") for line in head[1:] if line)
        }
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        self.posted.append(Posted(head[0], headers, body))
        if self.hang:
            await asyncio.sleep(3600)
        writer.write(self.answer)
        await writer.drain()
        writer.close()


@pytest.fixture
async def receiver(anyio_backend: str) -> AsyncIterator[Receiver]:
    local = Receiver()
    server = await asyncio.start_server(local.handle, "127.0.0.1", 0)
    local.port = server.sockets[0].getsockname()[1]
    yield local
    server.close()
    await server.wait_closed()


class ChangingResolver:
    """A name whose answer the test changes, as DNS can between registration and delivery."""

    def __init__(self, answer: str) -> None:
        self.answer = answer

    async def resolve(self, host: str, port: int) -> list[IPAddress]:
        return await StaticResolver({host: [self.answer]}).resolve(host, port)


async def send(sender: GuardedWebhookSender, url: str) -> tuple[int | None, str | None]:
    # The sender runs its own event loop, as in a worker's thread: never on the test's loop.
    attempt = await anyio.to_thread.run_sync(sender.send, url, BODY, HEADERS)
    return attempt.status_code, attempt.error


@pytest.mark.anyio
async def test_a_post_carries_the_body_and_headers_to_the_checked_address(
    receiver: Receiver, resolver: StaticResolver, connections: list[str]
) -> None:
    sender = GuardedWebhookSender(LOOPBACK, 5, resolver)
    url = f"http://files.test:{receiver.port}/hooks?x=1"
    assert await send(sender, url) == (204, None)
    [posted] = receiver.posted
    assert posted.request_line == "POST /hooks?x=1 HTTP/1.1"
    assert posted.body == BODY
    assert posted.headers["host"] == f"files.test:{receiver.port}"
    assert posted.headers["content-length"] == str(len(BODY))
    assert posted.headers["content-type"] == "application/json"
    assert posted.headers["flipshelf-signature"] == "t=1,v1=ab"
    assert (
        posted.headers["user-agent"].startswith("flipshelf/")
        and "webhooks" in posted.headers["user-agent"]
    )
    assert "cookie" not in posted.headers and "authorization" not in posted.headers
    assert connections == ["127.0.0.1"]


@pytest.mark.anyio
async def test_any_status_comes_back_and_redirects_are_not_followed(receiver: Receiver) -> None:
    sender = GuardedWebhookSender(LOOPBACK, 5)
    url = f"http://127.0.0.1:{receiver.port}/hooks"
    receiver.answer = b"HTTP/1.1 500 Oops\r\nContent-Length: 4\r\n\r\nfail"
    assert await send(sender, url) == (500, None)
    receiver.answer = (
        b"HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:9/elsewhere\r\nContent-Length: 0\r\n\r\n"
    )
    assert await send(sender, url) == (302, None)
    assert len(receiver.posted) == 2  # the redirect's target was never asked


@pytest.mark.anyio
async def test_no_answer_within_the_timeout_is_a_failed_try(receiver: Receiver) -> None:
    receiver.hang = True
    sender = GuardedWebhookSender(LOOPBACK, 0.5)
    assert await send(sender, f"http://127.0.0.1:{receiver.port}/") == (None, "no answer in time")


def test_a_closed_port_is_a_failed_try() -> None:
    sender = GuardedWebhookSender(LOOPBACK, 5)
    attempt = sender.send("http://127.0.0.1:9/", BODY, HEADERS)
    assert (attempt.status_code, attempt.error) == (None, "could not connect")


@pytest.mark.parametrize(
    "url",
    [
        "http://evil.test/hooks",  # a private address
        "http://metadata.test/latest",  # cloud metadata
        "http://rebind.test/hooks",  # one loopback and one private address
        "http://127.0.0.1:8000/hooks",  # loopback, not allowed by default
        "http://[::1]/hooks",
        "http://2130706433/hooks",  # a numeric host resolvers read as 127.0.0.1
        "ftp://files.test/hooks",
        "http://user:pass@files.test/hooks",
        "http://nowhere.test/hooks",  # does not resolve
    ],
)
def test_private_or_malformed_endpoints_are_refused_at_registration(
    url: str, resolver: StaticResolver, connections: list[str]
) -> None:
    with pytest.raises(BadRequest, match="webhook url refused"):
        GuardedWebhookSender(AllowList(), 5, resolver).check(url)
    assert connections == []  # checking never connects


def test_the_allow_list_lets_an_operator_reach_internal_hosts(resolver: StaticResolver) -> None:
    GuardedWebhookSender(LOOPBACK, 5, resolver).check("http://files.test:8080/hooks")
    GuardedWebhookSender(AllowList.parse("files.test"), 5, resolver).check("http://files.test/")
    GuardedWebhookSender(AllowList.parse("10.0.0.0/8"), 5, resolver).check("http://evil.test/")
    with pytest.raises(BadRequest):  # one allowed address does not carry another
        GuardedWebhookSender(LOOPBACK, 5, resolver).check("http://rebind.test/")
    with pytest.raises(BadRequest):  # a name never makes a metadata address a single host
        GuardedWebhookSender(AllowList.parse("0.0.0.0/0"), 5, resolver).check("http://0.0.0.0/")


def test_a_name_that_now_leads_inside_is_refused_at_delivery(connections: list[str]) -> None:
    dns = ChangingResolver("93.184.215.14")  # public when the endpoint is registered
    sender = GuardedWebhookSender(AllowList(), 5, dns)
    sender.check("https://hooks.example.test/flipshelf")
    dns.answer = "127.0.0.1"  # rebinding: the same name, now loopback
    attempt = sender.send("https://hooks.example.test/flipshelf", BODY, HEADERS)
    assert attempt.status_code is None
    assert attempt.error == "refused: the host leads to an address that is not allowed"
    assert attempt.detail is not None and "127.0.0.1" in attempt.detail  # for the log only
    assert connections == []
