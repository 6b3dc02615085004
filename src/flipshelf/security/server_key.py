"""The server key: from the setting, else from `server.key` in the data directory (made once)."""

from __future__ import annotations

import base64
import binascii
import os
import secrets
from pathlib import Path

KEY_BYTES = 32
KEY_FILE = "server.key"


class ServerKeyError(Exception):
    """The configured or stored key is unusable; the server must not start with it."""


def decode_key(text: str) -> bytes:
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ServerKeyError("the server key is not valid base64") from None
    if len(key) != KEY_BYTES:
        raise ServerKeyError(f"the server key must decode to {KEY_BYTES} bytes")
    return key


def load_or_create(configured: str, data_dir: Path) -> bytes:
    if configured:
        return decode_key(configured)
    path = data_dir / KEY_FILE
    if not path.exists():
        _create(path)
    return decode_key(path.read_text())


def _create(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    encoded = base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()
    try:
        # O_EXCL: two processes starting at once must not each write a different key.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "w") as handle:
        handle.write(encoded + "\n")
        handle.flush()
        os.fsync(handle.fileno())
