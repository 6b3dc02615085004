"""`flipshelf backup` and `flipshelf restore` through the installed command: a real upload is
converted, backed up while the installation is open, restored into a fresh data directory, and
read there with the same key pair, page images byte for byte."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from flipshelf.app import create_app
from flipshelf.jobs.conversion_job import run_conversion
from flipshelf.runtime import Runtime, build_runtime, conversion_context
from flipshelf.settings import Settings
from tests.integration.test_cli import runner, same_settings_as_the_cli, where_the_cli_looks
from tests.integration.test_jobs import _upload
from tests.support import Tenant, signed


@pytest.fixture
def settings(tmp_path: Path, data_dir: Path) -> Settings:
    """The embedded default (backup is for SQLite and local files)."""
    return where_the_cli_looks(tmp_path, data_dir, "sqlite")


def _read_back(runtime: Runtime, tenant: Tenant, collection_hash: str) -> dict[str, bytes]:
    """The collection through the API, and every page image through the public routes."""
    with TestClient(create_app(runtime)) as client:
        call = signed(tenant.pair, "collection.getCollection", collectionHash=collection_hash)
        answer = client.get("/v1/", params=call).json()
        assert answer["code"] == 20, answer
        flipbook = answer["data"]["collectionItems"][0]["flipbookHash"]
        manifest = client.get(f"/f/{flipbook}/manifest.json")
        assert manifest.status_code == 200
        images = {"manifest.json": manifest.content}
        for page in manifest.json()["pages"]:
            name = page["images"]["normal"]["file"]
            found = client.get(f"/f/{flipbook}/{name}")
            assert found.status_code == 200, name
            images[name] = found.content
    return images


def test_a_backup_restored_into_a_fresh_data_dir_reads_the_same(
    data_dir: Path,
    runtime: Runtime,
    tenant: Tenant,
    documents: dict[str, Path],
    tmp_path: Path,
) -> None:
    flipbook_hash = _upload(runtime, tenant, documents["text"], tmp_path)
    assert run_conversion(conversion_context(runtime), flipbook_hash) is True
    collection = runtime.ports.collections.of_flipbook(flipbook_hash)
    assert collection is not None
    before = _read_back(runtime, tenant, collection.hash)

    saved = tmp_path / "backup"
    done = runner(data_dir, "sqlite")("backup", str(saved), "--with-server-key", "--json")
    described = json.loads(done.stdout)
    assert described["files"]["count"] > len(before) and described["serverKey"] is True
    assert described["revision"]
    assert stat.S_IMODE((saved / "server.key").stat().st_mode) == 0o600

    fresh = tmp_path / "restored"
    restored = runner(fresh, "sqlite")("restore", str(saved))
    assert "1 accounts" in restored.stdout, restored.stdout
    again = build_runtime(same_settings_as_the_cli(fresh, ""))
    try:
        assert _read_back(again, tenant, collection.hash) == before
    finally:
        again.db.dispose()


def test_backup_refuses_a_used_destination_and_restore_a_used_data_dir(
    data_dir: Path, runtime: Runtime, tmp_path: Path
) -> None:
    cli = runner(data_dir, "sqlite")
    used = tmp_path / "used"
    used.mkdir()
    (used / "keep.txt").write_text("mine")
    done = cli("backup", str(used), ok=False)
    assert done.returncode == 1 and "not empty" in done.stderr, done.stderr
    assert [path.name for path in used.iterdir()] == ["keep.txt"]  # nothing written

    saved = tmp_path / "backup"
    cli("backup", str(saved))
    assert not (saved / "server.key").exists()  # only when asked
    done = cli("restore", str(saved), ok=False)  # into the live installation itself
    assert done.returncode == 1 and "already holds an installation" in done.stderr
    done = runner(tmp_path / "other", "sqlite")("restore", str(tmp_path), ok=False)
    assert done.returncode == 1 and "not a flipshelf backup" in done.stderr


def test_restore_without_the_key_says_which_key_it_needs(
    data_dir: Path, runtime: Runtime, tenant: Tenant, tmp_path: Path
) -> None:
    saved = tmp_path / "backup"
    runner(data_dir, "sqlite")("backup", str(saved))
    done = runner(tmp_path / "fresh", "sqlite")("restore", str(saved), ok=False)
    assert done.returncode == 1
    assert "server key the backup was made with" in done.stderr, done.stderr


def test_on_postgresql_backup_points_to_pg_dump(data_dir: Path, database_url: str) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("the PostgreSQL case")
    done = runner(data_dir, database_url)("backup", str(data_dir.parent / "b"), ok=False)
    assert done.returncode == 1 and "pg_dump" in done.stderr, done.stderr
    assert not (data_dir.parent / "b").exists()
