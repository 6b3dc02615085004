"""Storage keys: server-made relative paths, the same rule on every backend."""

from __future__ import annotations

import pytest

from flipshelf.storage import InvalidKey, check_key

GOOD = [
    "flipbooks/abc123/source.pdf",
    "flipbooks/abc123/book/pages/0001-normal.jpg",
    "flipbooks/abc123/book/text-index.json",
    "collections/q1w2e3r4t5/logo-0a1b2c3d4e5f.png",
    "a",
    "a_b/c-d/e.f",
    "x" * 255,
]

BAD = [
    "",  # empty
    "/flipbooks/a",  # absolute
    "flipbooks/a/",  # trailing slash: an empty last segment
    "flipbooks//a",  # empty segment
    "..",
    "flipbooks/../../etc/passwd",  # climbs out of the root
    "./a",
    "a\\b",  # a backslash is a separator on Windows
    "C:/a",
    ".env",  # hidden: the local backend's temporary files start with a dot
    "a/.0001.jpg.1234.tmp",
    "Flipbooks/a",  # upper case: two keys could be one file on a case-insensitive disk
    "a b",
    "a\nb",
    "a\x00b",
    "%2e%2e/a",
    "é",
    "x" * 256,  # longer than a file name may be
    "a/" * 256 + "a",  # longer than a key may be
]


@pytest.mark.parametrize("key", GOOD)
def test_server_made_keys_pass_unchanged(key: str) -> None:
    assert check_key(key) == key


@pytest.mark.parametrize("key", BAD)
def test_anything_else_is_refused(key: str) -> None:
    with pytest.raises(InvalidKey):
        check_key(key)


def test_an_invalid_key_is_a_value_error() -> None:
    assert issubclass(InvalidKey, ValueError)
