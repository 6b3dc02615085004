"""Storage keys: the server-made relative paths every backend files things under.

One rule for all backends, so a key that works on a developer's disk works on S3 and back:
lower-case ASCII segments joined by `/`. Refusing `..`, absolute paths, backslashes and empty
segments keeps a key inside its root on disk. Segments start with a letter or digit, so no key is
ever a hidden name (the local backend's temporary files start with a dot and can never collide
with a key); lower case alone keeps keys distinct on case-insensitive file systems.
"""

from __future__ import annotations

import re

# S3 allows 1024 bytes; ext4 allows 255 per name. Our keys are far shorter than either.
MAX_KEY_LENGTH = 512
_SEGMENT = re.compile(r"[a-z0-9][a-z0-9_.-]{0,254}")


class InvalidKey(ValueError):
    """A key that is not a server-made storage key: a bug in the caller, never user input."""


def check_key(key: str) -> str:
    """Answers the key unchanged, or raises InvalidKey."""
    if not key or len(key) > MAX_KEY_LENGTH:
        raise InvalidKey(f"not a storage key (empty or too long): {key[:80]!r}")
    for segment in key.split("/"):
        if not _SEGMENT.fullmatch(segment):
            raise InvalidKey(f"not a storage key: {key!r}")
    return key
