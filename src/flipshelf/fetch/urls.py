"""Parsing a fileUrl (or a redirect's Location) into exactly what the client will connect to.

The parse is deliberately narrower than what `urlsplit` or a browser accepts: anything two parsers
could read differently (backslashes, control characters, userinfo, numeric hosts such as `127.1` or
`0x7f.1` that resolvers turn into addresses) is refused rather than interpreted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address
from urllib.parse import quote, urljoin, urlsplit

from flipshelf.fetch.addresses import IPAddress
from flipshelf.fetch.errors import FetchRefused, Refusal

MAX_URL_LENGTH = 8192
_DEFAULT_PORTS = {"http": 80, "https": 443}
_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")
# WHATWG and inet_aton read a host whose last label looks numeric as an IPv4 address.
_NUMERIC_LABEL = re.compile(r"0x[0-9a-f]*|[0-9]+")
# Reserved characters and %-escapes pass through; only what cannot go on the wire is quoted.
_SAFE_IN_TARGET = "!$%&'()*+,/:;=?@[]~"


@dataclass(frozen=True, slots=True)
class Target:
    """One URL to fetch, normalized and checked for shape (not yet for its addresses)."""

    scheme: str
    host: str  # lowercase ASCII (IDNA) name, or an IP literal's text without brackets
    ip_literal: IPAddress | None
    port: int
    request_target: str  # path and query, ASCII only

    @property
    def tls(self) -> bool:
        return self.scheme == "https"

    @property
    def authority(self) -> str:
        """host[:port] as written in the Host header and the URL (port only when not default)."""
        host = f"[{self.host}]" if isinstance(self.ip_literal, IPv6Address) else self.host
        if self.port == _DEFAULT_PORTS[self.scheme]:
            return host
        return f"{host}:{self.port}"

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.authority}{self.request_target}"


def parse_target(url: str) -> Target:
    """Check the shape of `url`; raise FetchRefused(URL) for anything not plainly http(s)."""
    _check_characters(url)
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise _refused(f"malformed URL ({exc})") from None
    if parts.scheme not in _DEFAULT_PORTS:
        raise _refused(f"scheme {parts.scheme!r} is not http or https")
    if "@" in parts.netloc:
        raise _refused("credentials in the URL are not allowed")
    host_text, port_text = _split_authority(parts.netloc)
    ip_literal, host = _parse_host(host_text)
    return Target(
        scheme=parts.scheme,
        host=host,
        ip_literal=ip_literal,
        port=_parse_port(port_text, _DEFAULT_PORTS[parts.scheme]),
        request_target=_request_target(parts.path, parts.query),
    )


def redirect_target(current: Target, location: str) -> Target:
    """The target a Location header points to, resolved against the current URL."""
    return parse_target(urljoin(current.url, location))


def normalize_host_name(name: str) -> str | None:
    """A DNS name as lowercase ASCII, or None when it is not a plain, non-numeric host name."""
    if name.endswith("."):
        name = name[:-1]  # the root label; "example.com." is "example.com"
    try:
        ascii_name = name.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return None
    labels = ascii_name.split(".")
    if len(ascii_name) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        return None
    if _NUMERIC_LABEL.fullmatch(labels[-1]):
        return None
    return ascii_name


def _check_characters(url: str) -> None:
    if len(url) > MAX_URL_LENGTH:
        raise _refused("URL too long")
    # Browsers read "\" as "/" and drop tabs, newlines and outer spaces; urlsplit does none of
    # that. Refuse them all. An inner space is unambiguous and is sent as %20.
    if url != url.strip() or any(ch < " " or ch == "\x7f" or ch == "\\" for ch in url):
        raise _refused("control characters, backslashes or outer whitespace in the URL")
    if any("\ud800" <= ch <= "\udfff" for ch in url):
        raise _refused("lone surrogates cannot be encoded")  # quote() would fail on them


def _split_authority(netloc: str) -> tuple[str, str]:
    """(host, port text) from "host", "host:port", "[v6]" or "[v6]:port"."""
    if netloc.startswith("["):
        host, bracket, rest = netloc[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            raise _refused("malformed IPv6 literal")
        return f"[{host}]", rest[1:]
    host, _, port = netloc.partition(":")
    return host, port


def _parse_host(text: str) -> tuple[IPAddress | None, str]:
    if text.startswith("["):
        return _parse_ipv6_literal(text[1:-1])
    try:
        ip4 = IPv4Address(text)  # only the canonical dotted quad; "127.1" is refused below
    except ValueError:
        pass
    else:
        return ip4, str(ip4)
    host = normalize_host_name(text)
    if host is None:
        raise _refused(f"invalid host {text!r}")
    return None, host


def _parse_ipv6_literal(text: str) -> tuple[IPAddress, str]:
    if "%" in text:
        raise _refused("IPv6 zone identifiers are not allowed")
    try:
        ip6 = IPv6Address(text)
    except ValueError:
        raise _refused(f"invalid IPv6 literal {text!r}") from None
    return ip6, str(ip6)


def _parse_port(text: str, default: int) -> int:
    if not text:
        return default
    if not (text.isascii() and text.isdigit() and len(text) <= 5):
        raise _refused(f"invalid port {text!r}")
    port = int(text)
    if not 1 <= port <= 65535:
        raise _refused(f"port {port} out of range")
    return port


def _request_target(path: str, query: str) -> str:
    target = quote(path or "/", safe=_SAFE_IN_TARGET)
    if query:
        target += "?" + quote(query, safe=_SAFE_IN_TARGET)
    return target


def _refused(detail: str) -> FetchRefused:
    return FetchRefused(Refusal.URL, detail)
