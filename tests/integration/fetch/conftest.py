"""Fixtures of the fetch integration tests: real HTTP(S) servers on 127.0.0.0/8 whose every byte
the test chooses, a fake resolver, and guards that keep every socket on loopback and every name
lookup off the real DNS."""

from __future__ import annotations

import asyncio
import datetime
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from flipshelf.fetch import AllowList, FetchPolicy, StaticResolver
from tests.network_guard import guard_sockets


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def connections(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every IP a socket tried to connect to; see tests/network_guard.py."""
    yield guard_sockets(monkeypatch)


Route = Callable[[asyncio.StreamWriter], Awaitable[None]]


@dataclass
class Seen:
    """One request as the server received it."""

    method: str
    target: str
    headers: dict[str, str]


@dataclass
class LocalServer:
    """An HTTP/1.1 server on a loopback address; each route writes raw bytes, so a test can send
    exactly the malformed, lying or slow answer it needs."""

    host: str = "127.0.0.1"
    tls: ssl.SSLContext | None = None
    routes: dict[str, Route] = field(default_factory=dict)
    requests: list[Seen] = field(default_factory=list)
    connections: int = 0
    server_names: list[str | None] = field(default_factory=list)  # TLS SNI as received
    port: int = 0
    _server: asyncio.Server | None = None
    _tasks: set[asyncio.Task[Any]] = field(default_factory=set)

    async def start(self) -> None:
        if self.tls is not None:
            self.tls.sni_callback = self._record_sni
        self._server = await asyncio.start_server(self._handle, self.host, 0, ssl=self.tls)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()

    def url(self, path: str, host: str | None = None) -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://{host or self.host}:{self.port}{path}"

    def route(self, path: str, handler: Route) -> None:
        self.routes[path] = handler

    def _record_sni(self, _sock: Any, name: str | None, _ctx: Any) -> None:
        self.server_names.append(name)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            seen = _parse_head(await reader.readuntil(b"\r\n\r\n"))
            self.requests.append(seen)
            handler = self.routes.get(seen.target.split("?")[0], Respond.status(404))
            await handler(writer)
            await writer.drain()
        except (OSError, asyncio.IncompleteReadError, ssl.SSLError):
            pass  # the client hung up first: often the point of the test
        finally:
            writer.close()
            self._tasks.discard(task)


def _parse_head(raw: bytes) -> Seen:
    lines = raw.decode("latin-1").split("\r\n")
    method, target, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    return Seen(method, target, headers)


def head(status_line: str, *headers: str) -> bytes:
    return ("\r\n".join([f"HTTP/1.1 {status_line}", *headers, "", ""])).encode("latin-1")


class Respond:
    """Route factories: each returns a handler that writes one scripted answer."""

    @staticmethod
    def body(
        data: bytes, *, content_type: str = "application/pdf", length: int | None = None
    ) -> Route:
        """200 with a Content-Length (the true one unless `length` lies)."""
        declared = len(data) if length is None else length

        async def handler(writer: asyncio.StreamWriter) -> None:
            writer.write(
                head("200 OK", f"Content-Type: {content_type}", f"Content-Length: {declared}")
            )
            writer.write(data)

        return handler

    @staticmethod
    def chunked(chunks: Iterable[bytes], *, delay: float = 0.0) -> Route:
        async def handler(writer: asyncio.StreamWriter) -> None:
            writer.write(
                head("200 OK", "Content-Type: application/pdf", "Transfer-Encoding: chunked")
            )
            for chunk in chunks:
                writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                await writer.drain()
                await asyncio.sleep(delay)
            writer.write(b"0\r\n\r\n")

        return handler

    @staticmethod
    def until_close(data: bytes) -> Route:
        """A body framed only by closing the connection (no Content-Length, not chunked)."""

        async def handler(writer: asyncio.StreamWriter) -> None:
            writer.write(head("200 OK", "Content-Type: application/pdf", "Connection: close"))
            writer.write(data)

        return handler

    @staticmethod
    def redirect(location: str, code: int = 302, *, delay: float = 0.0) -> Route:
        async def handler(writer: asyncio.StreamWriter) -> None:
            await asyncio.sleep(delay)
            writer.write(head(f"{code} Moved", f"Location: {location}", "Content-Length: 0"))

        return handler

    @staticmethod
    def status(code: int) -> Route:
        async def handler(writer: asyncio.StreamWriter) -> None:
            writer.write(head(f"{code} Whatever", "Content-Length: 2") + b"no")

        return handler

    @staticmethod
    def trickle(declared: int, *, delay: float) -> Route:
        """Declares `declared` bytes, then sends one byte per `delay` seconds."""

        async def handler(writer: asyncio.StreamWriter) -> None:
            writer.write(head("200 OK", f"Content-Length: {declared}"))
            for _ in range(declared):
                await writer.drain()
                await asyncio.sleep(delay)
                writer.write(b"x")

        return handler

    @staticmethod
    def hang() -> Route:
        async def handler(writer: asyncio.StreamWriter) -> None:
            await asyncio.sleep(3600)

        return handler

    @staticmethod
    def raw(data: bytes, *, then_hang: bool = False) -> Route:
        async def handler(writer: asyncio.StreamWriter) -> None:
            writer.write(data)
            if then_hang:
                await writer.drain()
                await asyncio.sleep(3600)

        return handler


@dataclass(frozen=True)
class Kit:
    """What most tests need, in one fixture: servers, routes and a matching fetch setup."""

    server: LocalServer
    resolver: StaticResolver
    dest: Path

    def policy(self, *, allow: str = "127.0.0.1/32", **limits: Any) -> FetchPolicy:
        settings: dict[str, Any] = {"max_bytes": 1000, "timeout_seconds": 5.0} | limits
        return FetchPolicy(allow=AllowList.parse(allow), **settings)


@pytest.fixture
async def server(anyio_backend: str) -> AsyncIterator[LocalServer]:
    local = LocalServer("127.0.0.1")
    await local.start()
    yield local
    await local.stop()


@pytest.fixture
async def other_server(anyio_backend: str) -> AsyncIterator[LocalServer]:
    """A second server, on 127.0.0.2: an address the default allow-list does not cover."""
    local = LocalServer("127.0.0.2")
    await local.start()
    yield local
    await local.stop()


@pytest.fixture
async def proxy(anyio_backend: str) -> AsyncIterator[LocalServer]:
    """A would-be proxy on 127.0.0.9: it counts connections and answers something else."""
    local = LocalServer("127.0.0.9")
    local.route("/a", Respond.body(b"from the proxy"))
    await local.start()
    yield local
    await local.stop()


@pytest.fixture
def respond() -> type[Respond]:
    return Respond


@pytest.fixture
def resolver() -> StaticResolver:
    return StaticResolver(
        {
            "files.test": ["127.0.0.1"],
            "other.test": ["127.0.0.1"],
            "second.test": ["127.0.0.2"],
            "evil.test": ["10.0.0.1"],
            "metadata.test": ["169.254.169.254"],
            "rebind.test": ["127.0.0.1", "192.168.0.1"],
        }
    )


@pytest.fixture
def kit(server: LocalServer, resolver: StaticResolver, tmp_path: Path) -> Kit:
    return Kit(server, resolver, tmp_path / "download.part")


@dataclass(frozen=True)
class Pki:
    ca_pem: bytes
    cert_file: Path
    key_file: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert_file, self.key_file)
        return context

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cadata=self.ca_pem.decode("ascii"))


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    """A private CA and a certificate for files.test only, signed by it."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "flipshelf test CA")])
    ca = (
        _builder(ca_name, ca_name, ca_key.public_key(), now)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "files.test")])
    leaf = (
        _builder(leaf_name, ca_name, key.public_key(), now)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("files.test")]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("pki")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return Pki(ca.public_bytes(serialization.Encoding.PEM), cert_file, key_file)


def _builder(
    subject: x509.Name, issuer: x509.Name, public_key: Any, now: datetime.datetime
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
    )


@pytest.fixture
async def tls_server(anyio_backend: str, pki: Pki) -> AsyncIterator[LocalServer]:
    local = LocalServer("127.0.0.1", tls=pki.server_context())
    await local.start()
    yield local
    await local.stop()
