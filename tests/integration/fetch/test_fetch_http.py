"""fetch_to_file against real HTTP(S) servers on loopback: what a fetch sends and keeps."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from flipshelf.fetch import (
    AllowList,
    FetchPolicy,
    FetchRefused,
    Refusal,
    StaticResolver,
    fetch_to_file,
)

pytestmark = pytest.mark.anyio

PDF = b"%PDF-1.7\n" + bytes(range(256)) * 3


async def test_a_body_is_saved_and_described(kit, respond) -> None:
    kit.server.route("/a.pdf", respond.body(PDF, content_type="application/pdf"))
    result = await fetch_to_file(
        kit.server.url("/a.pdf?v=1", host="files.test"),
        kit.dest,
        policy=kit.policy(),
        resolver=kit.resolver,
    )
    assert kit.dest.read_bytes() == PDF
    assert result.byte_count == len(PDF)
    assert result.content_type == "application/pdf"
    assert result.final_url == f"http://files.test:{kit.server.port}/a.pdf?v=1"
    assert result.redirects == 0


async def test_the_request_names_the_host_and_asks_for_an_identity_body(kit, respond) -> None:
    kit.server.route("/a.pdf", respond.body(PDF))
    await fetch_to_file(
        kit.server.url("/a.pdf", host="files.test"),
        kit.dest,
        policy=kit.policy(),
        resolver=kit.resolver,
    )
    [seen] = kit.server.requests
    assert seen.method == "GET" and seen.target == "/a.pdf"
    assert seen.headers["host"] == f"files.test:{kit.server.port}"
    assert seen.headers["user-agent"].startswith("flipshelf/")
    assert seen.headers["accept-encoding"] == "identity"
    assert "authorization" not in seen.headers and "cookie" not in seen.headers


async def test_the_connection_goes_to_the_checked_address(kit, respond, connections) -> None:
    kit.server.route("/a.pdf", respond.body(PDF))
    await fetch_to_file(
        kit.server.url("/a.pdf", host="files.test"),
        kit.dest,
        policy=kit.policy(),
        resolver=kit.resolver,
    )
    assert connections == ["127.0.0.1"]
    assert kit.resolver.lookups == ["files.test"]  # once: no second lookup at connect time


async def test_a_chunked_body_is_reassembled(kit, respond) -> None:
    kit.server.route("/c", respond.chunked([PDF[:100], PDF[100:500], PDF[500:]]))
    result = await fetch_to_file(
        kit.server.url("/c"), kit.dest, policy=kit.policy(), resolver=kit.resolver
    )
    assert kit.dest.read_bytes() == PDF and result.byte_count == len(PDF)


async def test_a_body_framed_by_closing_the_connection_is_saved(kit, respond) -> None:
    kit.server.route("/u", respond.until_close(PDF))
    await fetch_to_file(kit.server.url("/u"), kit.dest, policy=kit.policy(), resolver=kit.resolver)
    assert kit.dest.read_bytes() == PDF


async def test_an_empty_body_is_an_empty_file(kit, respond) -> None:
    kit.server.route("/e", respond.body(b""))
    result = await fetch_to_file(
        kit.server.url("/e"), kit.dest, policy=kit.policy(), resolver=kit.resolver
    )
    assert result.byte_count == 0 and kit.dest.read_bytes() == b""


async def test_interim_responses_are_skipped(kit, respond) -> None:
    kit.server.route(
        "/i",
        respond.raw(
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc"
        ),
    )
    await fetch_to_file(kit.server.url("/i"), kit.dest, policy=kit.policy(), resolver=kit.resolver)
    assert kit.dest.read_bytes() == b"abc"


@pytest.mark.parametrize("code", [204, 206, 304, 400, 403, 404, 500, 503])
async def test_any_final_status_but_200_is_refused(kit, respond, code: int) -> None:
    kit.server.route("/s", respond.status(code))
    with pytest.raises(FetchRefused) as caught:
        await fetch_to_file(
            kit.server.url("/s"), kit.dest, policy=kit.policy(), resolver=kit.resolver
        )
    assert caught.value.kind is Refusal.STATUS and str(code) in caught.value.detail
    assert not kit.dest.exists()


@pytest.mark.parametrize(
    "answer",
    [
        b"this is not http\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nX-Huge: " + b"a" * 70_000 + b"\r\n\r\n",
        b"",
    ],
)
async def test_malformed_answers_are_refused(kit, respond, answer: bytes) -> None:
    kit.server.route("/m", respond.raw(answer))
    with pytest.raises(FetchRefused) as caught:
        await fetch_to_file(
            kit.server.url("/m"), kit.dest, policy=kit.policy(), resolver=kit.resolver
        )
    assert caught.value.kind is Refusal.PROTOCOL
    assert not kit.dest.exists()


def closed_port(host: str) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


async def test_nothing_listening_is_unreachable(kit) -> None:
    url = f"http://127.0.0.1:{closed_port('127.0.0.1')}/a.pdf"
    with pytest.raises(FetchRefused) as caught:
        await fetch_to_file(url, kit.dest, policy=kit.policy(), resolver=kit.resolver)
    assert caught.value.kind is Refusal.UNREACHABLE


async def test_the_next_checked_address_is_tried_when_one_refuses(
    kit, respond, connections
) -> None:
    kit.server.route("/a.pdf", respond.body(PDF))
    # 127.0.0.3 has nothing on the server's port, so the first address refuses the connection.
    resolver = StaticResolver({"files.test": ["127.0.0.3", "127.0.0.1"]})
    await fetch_to_file(
        kit.server.url("/a.pdf", host="files.test"),
        kit.dest,
        policy=kit.policy(allow="127.0.0.0/8"),
        resolver=resolver,
    )
    assert connections == ["127.0.0.3", "127.0.0.1"]
    assert kit.dest.read_bytes() == PDF


async def test_https_verifies_the_certificate_for_the_url_host(
    tls_server, respond, resolver, pki, tmp_path: Path
) -> None:
    tls_server.route("/a.pdf", respond.body(PDF))
    result = await fetch_to_file(
        tls_server.url("/a.pdf", host="files.test"),
        tmp_path / "a",
        policy=_policy(),
        resolver=resolver,
        tls_context=pki.client_context(),
    )
    assert (tmp_path / "a").read_bytes() == PDF
    assert result.final_url.startswith("https://files.test:")
    assert tls_server.server_names == ["files.test"]  # SNI carries the name, not the address
    assert tls_server.requests[0].headers["host"] == f"files.test:{tls_server.port}"


async def test_https_refuses_a_certificate_for_another_name(
    tls_server, respond, resolver, pki, tmp_path: Path
) -> None:
    tls_server.route("/a.pdf", respond.body(PDF))
    # other.test resolves to the same server, whose certificate names only files.test.
    with pytest.raises(FetchRefused) as caught:
        await fetch_to_file(
            tls_server.url("/a.pdf", host="other.test"),
            tmp_path / "a",
            policy=_policy(),
            resolver=resolver,
            tls_context=pki.client_context(),
        )
    assert caught.value.kind is Refusal.TLS
    assert tls_server.requests == []


async def test_https_uses_the_system_trust_store_by_default(
    tls_server, respond, resolver, tmp_path: Path
) -> None:
    tls_server.route("/a.pdf", respond.body(PDF))
    with pytest.raises(FetchRefused) as caught:  # the private test CA is not trusted
        await fetch_to_file(
            tls_server.url("/a.pdf", host="files.test"),
            tmp_path / "a",
            policy=_policy(),
            resolver=resolver,
        )
    assert caught.value.kind is Refusal.TLS
    assert "CERTIFICATE_VERIFY_FAILED" in caught.value.detail


def _policy() -> FetchPolicy:
    return FetchPolicy(max_bytes=10_000, timeout_seconds=5, allow=AllowList.parse("127.0.0.1/32"))
