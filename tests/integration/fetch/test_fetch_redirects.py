"""Redirects: each one is checked from scratch, and there are at most three."""

from __future__ import annotations

import pytest

from flipshelf.fetch import FetchRefused, Refusal, fetch_to_file

pytestmark = pytest.mark.anyio


async def fetch(kit, url: str, **policy):
    return await fetch_to_file(url, kit.dest, policy=kit.policy(**policy), resolver=kit.resolver)


@pytest.mark.parametrize("code", [301, 302, 303, 307, 308])
async def test_every_redirect_status_is_followed(kit, respond, code: int) -> None:
    kit.server.route("/old", respond.redirect("/new", code))
    kit.server.route("/new", respond.body(b"moved"))
    result = await fetch(kit, kit.server.url("/old"))
    assert kit.dest.read_bytes() == b"moved"
    assert result.final_url == kit.server.url("/new") and result.redirects == 1


async def test_three_redirects_are_followed(kit, respond) -> None:
    kit.server.route("/r1", respond.redirect("/r2"))
    kit.server.route("/r2", respond.redirect(kit.server.url("/r3", host="files.test")))
    kit.server.route("/r3", respond.redirect("a.pdf"))
    kit.server.route("/a.pdf", respond.body(b"end"))
    result = await fetch(kit, kit.server.url("/r1"))
    assert result.redirects == 3
    assert result.final_url == kit.server.url("/a.pdf", host="files.test")
    assert [seen.target for seen in kit.server.requests] == ["/r1", "/r2", "/r3", "/a.pdf"]


async def test_a_fourth_redirect_is_refused_without_being_followed(kit, respond) -> None:
    for hop in range(1, 5):
        kit.server.route(f"/r{hop}", respond.redirect(f"/r{hop + 1}"))
    kit.server.route("/r5", respond.body(b"never"))
    with pytest.raises(FetchRefused) as caught:
        await fetch(kit, kit.server.url("/r1"))
    assert caught.value.kind is Refusal.REDIRECTS
    assert [seen.target for seen in kit.server.requests] == ["/r1", "/r2", "/r3", "/r4"]
    assert not kit.dest.exists()


async def test_the_redirect_limit_is_a_setting(kit, respond) -> None:
    kit.server.route("/r1", respond.redirect("/a"))
    kit.server.route("/a", respond.body(b"x"))
    with pytest.raises(FetchRefused):
        await fetch(kit, kit.server.url("/r1"), max_redirects=0)


async def test_a_redirect_loop_ends_at_the_limit(kit, respond) -> None:
    kit.server.route("/loop", respond.redirect("/loop"))
    with pytest.raises(FetchRefused) as caught:
        await fetch(kit, kit.server.url("/loop"))
    assert caught.value.kind is Refusal.REDIRECTS


@pytest.mark.parametrize(
    "location",
    [
        "http://evil.test/admin",  # a name that resolves to 10.0.0.1
        "http://metadata.test/latest/meta-data/",  # ... to 169.254.169.254
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:80/",
        "http://[::ffff:127.0.0.1]/",
        "http://rebind.test/",  # one allowed answer and one private one
    ],
)
async def test_a_redirect_to_a_refused_address_is_refused_before_connecting(
    kit, respond, connections, location: str
) -> None:
    kit.server.route("/r", respond.redirect(location))
    with pytest.raises(FetchRefused) as caught:
        await fetch(kit, kit.server.url("/r"))
    assert caught.value.kind is Refusal.ADDRESS
    assert connections == ["127.0.0.1"]  # only the first hop was ever dialled
    assert not kit.dest.exists()


async def test_a_redirect_to_a_loopback_server_off_the_allow_list_is_refused(
    kit, respond, other_server, connections
) -> None:
    # The first server is allowed (127.0.0.1/32); the second listens on 127.0.0.2, which is not.
    other_server.route("/secret", respond.body(b"internal"))
    kit.server.route("/r", respond.redirect(other_server.url("/secret")))
    with pytest.raises(FetchRefused) as caught:
        await fetch(kit, kit.server.url("/r"))
    assert caught.value.kind is Refusal.ADDRESS
    assert other_server.connections == 0
    assert "127.0.0.2" not in connections


async def test_the_same_redirect_works_once_the_operator_allows_it(
    kit, respond, other_server
) -> None:
    other_server.route("/secret", respond.body(b"internal"))
    kit.server.route("/r", respond.redirect(other_server.url("/secret")))
    await fetch(kit, kit.server.url("/r"), allow="127.0.0.1/32, 127.0.0.2/32")
    assert kit.dest.read_bytes() == b"internal"


@pytest.mark.parametrize(
    "location",
    ["file:///etc/passwd", "ftp://files.test/a", "http://u:p@files.test/", "gopher://x/"],
)
async def test_a_redirect_to_another_scheme_or_with_credentials_is_refused(
    kit, respond, location: str
) -> None:
    kit.server.route("/r", respond.redirect(location))
    with pytest.raises(FetchRefused) as caught:
        await fetch(kit, kit.server.url("/r"))
    assert caught.value.kind is Refusal.URL


async def test_a_redirect_without_a_location_is_refused(kit, respond) -> None:
    kit.server.route("/r", respond.raw(b"HTTP/1.1 302 Found\r\nContent-Length: 0\r\n\r\n"))
    with pytest.raises(FetchRefused) as caught:
        await fetch(kit, kit.server.url("/r"))
    assert caught.value.kind is Refusal.REDIRECTS


async def test_the_body_of_a_redirect_is_not_read(kit, respond) -> None:
    # A redirect that declares a body far over the cap is still just a redirect.
    kit.server.route(
        "/r",
        respond.raw(
            b"HTTP/1.1 302 Found\r\nLocation: /a\r\nContent-Length: 99999999\r\n\r\n",
            then_hang=True,
        ),
    )
    kit.server.route("/a", respond.body(b"ok"))
    await fetch(kit, kit.server.url("/r"))
    assert kit.dest.read_bytes() == b"ok"


async def test_a_raw_utf8_location_is_followed_to_the_same_path(kit, respond) -> None:
    kit.server.route(
        "/r",
        respond.raw(
            b"HTTP/1.1 302 Found\r\nLocation: /caf\xc3\xa9.pdf\r\nContent-Length: 0\r\n\r\n"
        ),
    )
    kit.server.route("/caf%C3%A9.pdf", respond.body(b"ok"))
    result = await fetch(kit, kit.server.url("/r"))
    assert kit.dest.read_bytes() == b"ok"
    assert result.final_url.endswith("/caf%C3%A9.pdf")
