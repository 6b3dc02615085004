"""A worker whose Redis stops says so once, in JSON like every other line it prints, stays quiet
while polling, says when Redis answers again, and runs a job queued after the restart."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.outages.conftest import PrivateServices

pytestmark = pytest.mark.xdist_group("outages")

DOWN = "job queue unreachable; polling quietly"
UP = "job queue answers again"
# Huey polls four times a second and reads its schedule once a second: seconds of outage are
# dozens of polls that once each logged a traceback.
OUTAGE_SECONDS = 3.0


def _wait_for(log: Path, text: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while text not in log.read_text():
        assert process.poll() is None, log.read_text()
        assert time.monotonic() < deadline, f"no {text!r} in:\n{log.read_text()}"
        time.sleep(0.1)


def test_a_worker_logs_one_json_line_for_a_redis_outage(
    private_services: PrivateServices, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLIPSHELF_")}
    env.update(
        FLIPSHELF_DATA_DIR=str(tmp_path / "data"),
        FLIPSHELF_JOBS_URL=private_services.env["FLIPSHELF_TEST_REDIS_URL"],
        FLIPSHELF_LOG_FORMAT="json",
    )
    (tmp_path / "data").mkdir()
    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        worker = subprocess.Popen(
            [sys.executable, "-m", "flipshelf", "worker"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_for(log, "Huey consumer started", worker)
        private_services.stop("redis")
        try:
            _wait_for(log, DOWN, worker)
            time.sleep(OUTAGE_SECONDS)  # polls that find Redis down: each must stay quiet
        finally:
            private_services.start("redis")
        _wait_for(log, UP, worker)
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=30)
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    events = [line["event"] for line in lines]
    assert events.count(DOWN) == 1 and events.count(UP) == 1, events
    assert not [line for line in lines if line["level"] in ("error", "critical")], lines
    assert any(line.get("logger", "").startswith("huey") for line in lines)  # Huey's own, as JSON
