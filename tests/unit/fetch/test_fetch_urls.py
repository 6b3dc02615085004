"""The shape of a fileUrl: what is refused before any name is resolved."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flipshelf.fetch import FetchRefused, Refusal
from flipshelf.fetch.urls import normalize_host_name, parse_target, redirect_target


@pytest.mark.parametrize(
    "url",
    [
        "ftp://files.example.com/a.pdf",
        "file:///etc/passwd",
        "gopher://files.example.com/",
        "javascript:alert(1)",
        "//files.example.com/a.pdf",
        "files.example.com/a.pdf",
        "http://user:pass@files.example.com/a.pdf",
        "http://files.example.com\\@127.0.0.1/",
        "http://@files.example.com/",
        "http://files.example.com:0/",
        "http://files.example.com:65536/",
        "http://files.example.com:8o/",
        "http://files.example.com:+80/",
        "http://files.example.com:80:80/",
        "http:///a.pdf",
        "http://127.1/",
        "http://0x7f.0.0.1/",
        "http://2130706433/",
        "http://017700000001/",
        "http://127.000.000.001/",
        "http://files.example.1/",
        "http://%6c%6f%63%61%6c%68%6f%73%74/",
        "http://[::1/",
        "http://[fe80::1%25eth0]/",
        "http://[v1.fe80]/",
        "http://files..example.com/",
        "http://files_example.com\t/",
        "http://files.example.com/a\nb",
        " http://files.example.com/",
        "http://files.example.com/ ",
        "http://" + "a" * 64 + ".com/",
        "http://files.example.com/" + "a" * 9000,
    ],
)
def test_malformed_or_ambiguous_urls_are_refused(url: str) -> None:
    with pytest.raises(FetchRefused) as caught:
        parse_target(url)
    assert caught.value.kind is Refusal.URL


def test_a_plain_url_keeps_its_parts() -> None:
    target = parse_target("https://Files.Example.COM:8443/docs/a.pdf?v=2#page=3")
    assert (target.scheme, target.host, target.port) == ("https", "files.example.com", 8443)
    assert target.request_target == "/docs/a.pdf?v=2"  # the fragment is never sent
    assert target.authority == "files.example.com:8443"
    assert target.url == "https://files.example.com:8443/docs/a.pdf?v=2"
    assert target.tls


def test_default_ports_are_left_out_of_the_host_header() -> None:
    assert parse_target("http://a.example:80/").authority == "a.example"
    assert parse_target("https://a.example/").port == 443


def test_an_empty_path_asks_for_the_root() -> None:
    assert parse_target("http://a.example").request_target == "/"


def test_non_ascii_hosts_and_paths_are_encoded_for_the_wire() -> None:
    target = parse_target("https://bücher.example/Frühling 2024.pdf?q=ä")
    assert target.host == "xn--bcher-kva.example"
    assert target.request_target == "/Fr%C3%BChling%202024.pdf?q=%C3%A4"


def test_existing_escapes_are_not_escaped_twice() -> None:
    assert parse_target("http://a.example/a%20b?x=%2F").request_target == "/a%20b?x=%2F"


def test_ip_literals_are_kept_as_addresses() -> None:
    v4 = parse_target("http://93.184.215.14:8080/")
    v6 = parse_target("http://[2606:2800:21f:cb07:6820:80da:af6b:8b2c]/a")
    assert str(v4.ip_literal) == "93.184.215.14" and v4.authority == "93.184.215.14:8080"
    assert v6.host == "2606:2800:21f:cb07:6820:80da:af6b:8b2c"
    assert v6.authority == "[2606:2800:21f:cb07:6820:80da:af6b:8b2c]"


def test_a_trailing_dot_names_the_same_host() -> None:
    assert parse_target("http://a.example./x").host == "a.example"


def test_relative_redirects_resolve_against_the_current_url() -> None:
    current = parse_target("https://a.example/docs/one.pdf")
    assert redirect_target(current, "two.pdf").url == "https://a.example/docs/two.pdf"
    assert redirect_target(current, "/x").url == "https://a.example/x"
    assert redirect_target(current, "//b.example/y").url == "https://b.example/y"
    assert redirect_target(current, "http://c.example:81/").url == "http://c.example:81/"


def test_a_redirect_to_another_scheme_is_refused() -> None:
    current = parse_target("https://a.example/")
    with pytest.raises(FetchRefused):
        redirect_target(current, "file:///etc/passwd")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Files.Example.com", "files.example.com"),
        ("files.internal", "files.internal"),
        ("localhost", "localhost"),
        ("_dmarc.example.com", "_dmarc.example.com"),
        ("münchen.de", "xn--mnchen-3ya.de"),
        ("127.0.0.1", None),
        ("10.1", None),
        ("a..b", None),
        ("-a.example", None),
        ("a b.example", None),
        ("", None),
    ],
)
def test_host_names_are_normalized_or_rejected(name: str, expected: str | None) -> None:
    assert normalize_host_name(name) == expected


@given(st.text(max_size=60))
def test_parsing_never_fails_with_anything_but_a_refusal(url: str) -> None:
    try:
        target = parse_target("http://" + url)
    except FetchRefused:
        return
    assert target.request_target.isascii() and target.authority.isascii()
    assert " " not in target.request_target


@pytest.mark.parametrize(
    "url", ["http://user@files.example.com/", "https://u:p@files.example.com:8443/a"]
)
def test_credentials_are_refused_by_name(url: str) -> None:
    with pytest.raises(FetchRefused, match="credentials"):
        parse_target(url)


def test_a_lone_surrogate_is_refused_not_crashed_on() -> None:
    with pytest.raises(FetchRefused):
        parse_target("http://a.example/\udc80")
