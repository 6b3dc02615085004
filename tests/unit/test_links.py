from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

from flipshelf.domain.access import LinkCheck
from flipshelf.security.links import SignedLinks

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
KEY = b"k" * 32


def _parts(query: str) -> tuple[str, str]:
    parsed = parse_qs(query)
    return parsed["exp"][0], parsed["sig"][0]


def test_a_link_is_valid_until_it_expires() -> None:
    links = SignedLinks(KEY, "collection")
    exp, sig = _parts(links.query("abc", NOW + timedelta(minutes=1)))
    assert links.check("abc", exp, sig, NOW) is LinkCheck.VALID
    assert links.check("abc", exp, sig, NOW + timedelta(seconds=59)) is LinkCheck.VALID
    assert links.check("abc", exp, sig, NOW + timedelta(seconds=60)) is LinkCheck.EXPIRED


def test_tampered_and_foreign_links_are_invalid() -> None:
    links = SignedLinks(KEY, "collection")
    exp, sig = _parts(links.query("abc", NOW + timedelta(minutes=1)))
    assert links.check("abd", exp, sig, NOW) is LinkCheck.INVALID
    assert links.check("abc", str(int(exp) + 3600), sig, NOW) is LinkCheck.INVALID
    assert links.check("abc", exp, sig[:-1] + ("0" if sig[-1] != "0" else "1"), NOW) is (
        LinkCheck.INVALID
    )
    assert SignedLinks(b"x" * 32, "collection").check("abc", exp, sig, NOW) is LinkCheck.INVALID
    assert SignedLinks(KEY, "package").check("abc", exp, sig, NOW) is LinkCheck.INVALID
    for bad_exp, bad_sig in ((None, sig), (exp, None), ("-1", sig), ("1e9", sig), (exp, "zz")):
        assert links.check("abc", bad_exp, bad_sig, NOW) is LinkCheck.INVALID
