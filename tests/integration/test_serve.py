"""`flipshelf serve` as an operator starts it: a real process, a real socket on 127.0.0.1, the
first account's key pair read from what it prints, and a signed call over HTTP."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import httpx

from flipshelf.api.v1.signature import sign
from tests.served import (
    PRINTED_KEY,
    PRINTED_SECRET,
    V1_CALL,
    call,
    live_members,
    serving,
    v1_call,
)


def test_the_shell_recipe_signs_the_reference_test_vector() -> None:
    env = dict(
        os.environ,
        FLIPSHELF_SIGN_ONLY="1",
        FLIPSHELF_API_KEY="45FD-267-7SG7832",
        FLIPSHELF_SECRET="123ABCDE-456-7890-FGH",
    )
    done = subprocess.run(
        ["bash", str(V1_CALL), "collection.getCollection", "collectionHash=fxh4k89"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert done.stdout.strip() == "26e781d3d1751d82ec284acf4a019def"


def test_serve_creates_the_first_account_once_and_answers_signed_calls(
    tmp_path: Path, database_url: str
) -> None:
    data_dir = tmp_path / "data"
    with serving(data_dir, database_url) as server:
        api_key = server.wait_for_line(PRINTED_KEY).group(1)
        secret = server.wait_for_line(PRINTED_SECRET).group(1)
        base = server.wait_until_serving()

        answer = call(base, api_key, secret, "user.getStats")
        assert answer["code"] == 20, answer
        assert answer["data"]["api_uploads_left"] == 1000
        assert answer["data"]["impressions"] == 0

        assert call(base, api_key, secret + "x", "user.getStats")["code"] == 44
        assert call(base, "NO-SUCH-KEY", secret, "user.getStats")["code"] == 41

        # The shell recipe of README.md and docs/api.md signs the same way.
        if shutil.which("curl"):
            listing = v1_call(base, api_key, secret, "collection.getList", "query=Frühling & Co")
            assert listing["code"] == 20, listing
            assert listing["data"] == {"collectionCount": 0, "collections": []}

    assert (data_dir / "server.key").exists()

    with serving(data_dir, database_url) as again:
        base = again.wait_until_serving()
        printed = again.output()
        assert "First account" not in printed, printed
        assert not PRINTED_KEY.search(printed) and not PRINTED_SECRET.search(printed), printed
        # Same database, same server key: the first pair still works.
        assert call(base, api_key, secret, "user.getStats")["code"] == 20


def test_serve_answers_on_both_v1_paths_and_in_every_format(tmp_path: Path) -> None:
    with serving(tmp_path / "data", "sqlite") as server:
        api_key = server.wait_for_line(PRINTED_KEY).group(1)
        secret = server.wait_for_line(PRINTED_SECRET).group(1)
        base = server.wait_until_serving()

        no_slash = call(base.rstrip("/"), api_key, secret, "user.getStats")
        assert no_slash["code"] == 20
        params = {"action": "user.getStats", "apiKey": api_key, "format": "xml"}
        params["signature"] = sign(secret, params)
        xml = httpx.get(base, params=params, timeout=10, trust_env=False)
        assert xml.headers["content-type"] == "application/xml; charset=utf-8"
        assert "<code>20</code>" in xml.text
        assert xml.headers["x-request-id"]


def test_stopping_serve_with_sigterm_stops_its_workers(tmp_path: Path) -> None:
    with serving(tmp_path / "data", "sqlite") as server:
        server.wait_until_serving()
        assert len(live_members(server.process.pid)) >= 2  # serve and its worker
    assert server.leftovers == []
