"""`flipshelf accounts usage`: what each account holds, counted through the installed command
after a real upload and conversion, and compared with the files on disk."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from flipshelf.domain.quota import month_key
from flipshelf.jobs.conversion_job import run_conversion
from flipshelf.runtime import Runtime, conversion_context
from flipshelf.settings import Settings
from tests.integration.test_cli import runner, where_the_cli_looks
from tests.integration.test_jobs import _upload
from tests.support import Tenant, new_tenant


@pytest.fixture
def settings(tmp_path: Path, data_dir: Path, database_url: str) -> Settings:
    return where_the_cli_looks(tmp_path, data_dir, database_url)


def _bytes_below(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def test_usage_counts_collections_pages_uploads_and_stored_bytes(
    data_dir: Path,
    database_url: str,
    runtime: Runtime,
    tenant: Tenant,
    documents: dict[str, Path],
    tmp_path: Path,
) -> None:
    flipbook_hash = _upload(runtime, tenant, documents["text"], tmp_path)
    assert run_conversion(conversion_context(runtime), flipbook_hash) is True
    idle = new_tenant(runtime, "idle")
    # The command counts this month by the real clock; the upload above was charged to the test
    # clock's month. Two more uploads this real month:
    this_month = month_key(datetime.now(UTC))
    for _ in range(2):
        assert runtime.ports.quota.charge(tenant.account.id, this_month, 100)
    cli = runner(data_dir, database_url)

    rows = {row["name"]: row for row in json.loads(cli("accounts", "usage", "--json").stdout)}
    busy = rows[tenant.account.name]
    collection = runtime.ports.collections.of_flipbook(flipbook_hash)
    assert collection is not None
    pages = collection.items[0].page_count
    assert pages
    files = runtime.ports.files.local_path(f"flipbooks/{flipbook_hash}")
    assert files is not None and files.is_dir()
    assert (busy["collections"], busy["flipbooks"], busy["pages"]) == (1, 1, pages)
    assert (busy["month"], busy["uploadsThisMonth"]) == (this_month, 2)
    assert busy["storedBytes"] == _bytes_below(files) > 0
    assert rows["idle"]["collections"] == 0 and rows["idle"]["storedBytes"] == 0

    one = json.loads(cli("accounts", "usage", idle.pair.api_key, "--json").stdout)
    assert [row["name"] for row in one] == ["idle"]
    table = cli("accounts", "usage").stdout
    assert tenant.account.name in table and "MB" in table
    done = cli("accounts", "usage", "NOT-A-KEY", ok=False)
    assert done.returncode == 1 and "no account has this apiKey" in done.stderr
