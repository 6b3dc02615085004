"""Collection and flipbook hashes: random from a cryptographic source, shape-checked on input."""

from __future__ import annotations

import re
import secrets
import string

ALPHABET = string.ascii_lowercase + string.digits
COLLECTION_HASH_LENGTH = 10
FLIPBOOK_HASH_LENGTH = 32

_COLLECTION_HASH = re.compile(rf"[a-z0-9]{{{COLLECTION_HASH_LENGTH}}}")
_FLIPBOOK_HASH = re.compile(rf"[a-z0-9]{{{FLIPBOOK_HASH_LENGTH}}}")


def _random_hash(length: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def new_collection_hash() -> str:
    return _random_hash(COLLECTION_HASH_LENGTH)


def new_flipbook_hash() -> str:
    return _random_hash(FLIPBOOK_HASH_LENGTH)


def is_collection_hash(value: str) -> bool:
    return _COLLECTION_HASH.fullmatch(value) is not None


def is_flipbook_hash(value: str) -> bool:
    return _FLIPBOOK_HASH.fullmatch(value) is not None
