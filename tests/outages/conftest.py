"""Private PostgreSQL, Redis and S3 (moto) that outage tests may stop and start: started by
scripts/test-services.sh in a services directory of their own, so stopping one never touches
the shared servers other tests use at the same time under xdist.

Runs only where the suite has those services (FLIPSHELF_TEST_POSTGRES_URL, _REDIS_URL, _S3_URL:
their programs are installed then); skips cleanly elsewhere."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "test-services.sh"
NEEDED = ("FLIPSHELF_TEST_POSTGRES_URL", "FLIPSHELF_TEST_REDIS_URL", "FLIPSHELF_TEST_S3_URL")


@dataclass
class PrivateServices:
    directory: Path
    env: dict[str, str]

    def _run(self, *args: str) -> None:
        environment = {**os.environ, "FLIPSHELF_SERVICES_DIR": str(self.directory)}
        done = subprocess.run(
            ["bash", str(SCRIPT), *args],
            env=environment,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr

    def stop(self, name: str) -> None:
        self._run("stop-one", name)

    def start(self, name: str) -> None:
        self._run("start-one", name)


def _read_env(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text().splitlines():
        if line.startswith("export "):
            name, value = line.removeprefix("export ").split("=", 1)
            values[name] = value.strip("'\"")
    return values


@pytest.fixture(scope="session")
def private_services() -> Iterator[PrivateServices]:
    missing = [name for name in NEEDED if not os.environ.get(name)]
    if missing:
        pytest.skip(f"{', '.join(missing)} not set (scripts/test-services.sh starts them)")
    # Not under pytest's 0700 temporary root: PostgreSQL runs as its own user and must reach it.
    directory = Path(tempfile.mkdtemp(prefix="flipshelf-outage-services-"))
    directory.chmod(0o755)
    services = PrivateServices(directory, {})
    environment = {
        **os.environ,
        "FLIPSHELF_SERVICES_DIR": str(directory),
        "FLIPSHELF_TEST_SERVICES": "postgres redis s3",
    }
    try:
        started = subprocess.run(
            ["bash", str(SCRIPT), "start"],
            env=environment,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert started.returncode == 0, started.stderr
        services.env = _read_env(directory / "env")
        yield services
    finally:
        subprocess.run(
            ["bash", str(SCRIPT), "stop"], env=environment, capture_output=True, timeout=120
        )
        shutil.rmtree(directory, ignore_errors=True)
