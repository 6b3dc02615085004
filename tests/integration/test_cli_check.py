"""`flipshelf check`: every check passes on a migrated data directory; each problem is one line
on stderr and the exit status is 1."""

from __future__ import annotations

import base64
import os
import subprocess
from pathlib import Path

from flipshelf.db.migrate import downgrade, upgrade
from flipshelf.runtime import build_runtime
from flipshelf.services import accounts
from flipshelf.settings import Settings
from tests.served import flipshelf_command


def _check(data_dir: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLIPSHELF_")}
    env.update(FLIPSHELF_DATA_DIR=str(data_dir), COLUMNS="200", **extra)
    return subprocess.run(
        [*flipshelf_command(), "check", "--no-fonts"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_migrated_data_dir_passes_every_check(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    upgrade(settings.resolved_database_url())
    done = _check(tmp_path)
    assert done.returncode == 0, done.stderr
    checks = [line.split()[1] for line in done.stdout.splitlines()]
    expected = ["migrations", "database", "storage", "queue", "rate_limits", "server_key"]
    assert checks == [*expected, "storage_write"]


def test_unapplied_migrations_and_a_wrong_server_key_are_one_line_each(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    upgrade(settings.resolved_database_url())
    runtime = build_runtime(settings)
    accounts.create(runtime.ports, runtime.box, "someone")
    runtime.db.dispose()
    downgrade(settings.resolved_database_url(), "0009_signing")  # an older schema, keys kept
    other_key = base64.b64encode(b"k" * 32).decode()
    done = _check(tmp_path, FLIPSHELF_SERVER_KEY=other_key)
    assert done.returncode == 1
    problems = done.stderr.strip().splitlines()
    assert [line.split(":")[0] for line in problems] == ["FAIL  migrations", "FAIL  server_key"]
    assert "flipshelf migrate" in problems[0]


def test_an_invalid_setting_is_named(tmp_path: Path) -> None:
    done = _check(tmp_path, FLIPSHELF_PORT="abc")
    assert done.returncode == 1
    assert done.stderr.strip().startswith("FAIL  settings: FLIPSHELF_PORT"), done.stderr
