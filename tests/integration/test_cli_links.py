"""`flipshelf collections link`: the operator's signed, expiring player link, on every database."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from typer.testing import CliRunner

from flipshelf.cli import cli
from flipshelf.db.migrate import upgrade
from flipshelf.domain.access import LinkCheck
from flipshelf.domain.collections import CollectionStatus
from flipshelf.runtime import Runtime, build_runtime
from flipshelf.security.links import SignedLinks
from flipshelf.settings import Settings
from tests.support import new_tenant, seed_collection


@pytest.fixture
def operator(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Runtime]:
    """The environment an operator's shell has, and the runtime the server would build."""
    for name, value in (
        ("FLIPSHELF_DATA_DIR", str(tmp_path / "data")),
        ("FLIPSHELF_DATABASE_URL", database_url),
        ("FLIPSHELF_PUBLIC_URL", "https://books.example.com"),
        ("FLIPSHELF_SERVER_KEY", ""),
    ):
        monkeypatch.setenv(name, value)
    settings = Settings()
    upgrade(settings.resolved_database_url())
    runtime = build_runtime(settings)
    yield runtime
    runtime.db.dispose()


def _check(runtime: Runtime, url: str) -> tuple[str, LinkCheck, int]:
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    exp, sig = query["exp"][0], query["sig"][0]
    collection_hash = parts.path.rsplit("/", 1)[1]
    links = SignedLinks(runtime.server_key, "collection")
    return (
        collection_hash,
        links.check(collection_hash, exp, sig, runtime.ports.clock.now()),
        int(exp),
    )


def test_link_prints_a_url_that_verifies(operator: Runtime) -> None:
    private = seed_collection(operator, new_tenant(operator), status=CollectionStatus.PRIVATE)
    done = CliRunner().invoke(cli, ["collections", "link", private.hash, "--json"])
    assert done.exit_code == 0, done.output
    printed = json.loads(done.stdout)
    assert set(printed) == {"url", "expiresAt"}
    assert printed["url"].startswith(f"https://books.example.com/widget/{private.hash}?")
    collection_hash, check, exp = _check(operator, printed["url"])
    assert (collection_hash, check) == (private.hash, LinkCheck.VALID)
    assert abs(exp - (time.time() + 7 * 24 * 3600)) < 60


def test_expires_sets_the_life_and_plain_output_shows_the_url(operator: Runtime) -> None:
    private = seed_collection(operator, new_tenant(operator), status=CollectionStatus.PRIVATE)
    done = CliRunner().invoke(cli, ["collections", "link", private.hash, "--expires", "120"])
    assert done.exit_code == 0, done.output
    url = done.stdout.split()[0]
    _, check, exp = _check(operator, url)
    assert check is LinkCheck.VALID and abs(exp - (time.time() + 120)) < 30
    assert "valid until" in done.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["0123456789"], "no collection"),
        (["BAD"], "malformed"),
        (["{hash}", "--expires", "30"], "expiresIn"),
        (["{hash}", "--expires", "31536001"], "expiresIn"),
    ],
)
def test_refusals_exit_1_with_a_reason(operator: Runtime, args: list[str], message: str) -> None:
    collection = seed_collection(operator, new_tenant(operator))
    argv = ["collections", "link", *[a.replace("{hash}", collection.hash) for a in args]]
    done = CliRunner().invoke(cli, argv)
    assert done.exit_code == 1
    assert message in done.output
