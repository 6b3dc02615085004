"""A big put streams: a 50 MB file never sits whole in memory, on disk or on S3.

Measured in a fresh child process, so the peak RSS (ru_maxrss) belongs to the put alone and not to
whatever earlier tests allocated. The memory store holds everything in RAM by design: not tested.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.integration.storage.conftest import StoreSpec, spec_for

SIZE = 50 * 1024 * 1024
MIB = 1024 * 1024

CHILD = r"""
import hashlib, json, resource, sys
from pathlib import Path
from flipshelf.storage import S3Credentials, make_store

action, url, key_id, secret, source = sys.argv[1:6]
store = make_store(url, S3Credentials(key_id, secret) if key_id else None)
store.put_bytes("warm/up.txt", b"x")  # connections, runtime threads: not the measured cost
store.get_bytes("warm/up.txt")
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
digest = hashlib.sha256()
if action == "put":
    store.put_file("flipbooks/big/source.pdf", Path(source))
else:
    with store.open_read("flipbooks/big/source.pdf") as stream:
        while chunk := stream.read(1024 * 1024):
            digest.update(chunk)
growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - before
print(json.dumps({"growth": growth, "sha256": digest.hexdigest()}))
"""


def big_file(path: Path) -> str:
    """Written a megabyte at a time: the test itself never holds the file either."""
    digest = hashlib.sha256()
    with path.open("wb") as out:
        for _ in range(SIZE // MIB):
            block = os.urandom(MIB)
            digest.update(block)
            out.write(block)
    return digest.hexdigest()


@pytest.mark.parametrize("backend", ["local", "s3"])
def test_a_50_mb_put_and_read_stay_within_bounded_memory(tmp_path: Path, backend: str) -> None:
    spec: StoreSpec = spec_for(backend, tmp_path)
    source = tmp_path / "big.pdf"
    expected = big_file(source)
    credentials = spec.credentials
    key_id = credentials.access_key_id if credentials else ""
    secret = credentials.secret_access_key if credentials else ""

    def child(action: str) -> dict[str, Any]:
        command = [sys.executable, "-c", CHILD, action, spec.url, key_id, secret, str(source)]
        done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=True)
        return dict(json.loads(done.stdout))

    # Each in a fresh process: a peak is a peak, so a put's would hide a read's.
    put, read = child("put"), child("read")
    assert read["sha256"] == expected
    # S3: three 5 MiB parts in flight (about 17 MiB measured); local: a 1 MiB copy buffer.
    # Loading the file whole would add 50 MiB or more.
    limit = 25 * MIB
    assert put["growth"] < limit, f"put grew RSS by {put['growth'] / MIB:.1f} MiB"
    assert read["growth"] < limit, f"read grew RSS by {read['growth'] / MIB:.1f} MiB"
