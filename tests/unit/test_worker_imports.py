"""A worker process imports what running jobs needs, not the web app nor the migrations: every
module a process imports costs it memory (docs/self-hosting.md, memory)."""

from __future__ import annotations

import json
import subprocess
import sys

NOT_IN_A_WORKER = (
    "alembic",
    "flipshelf.app",
    "flipshelf.api.v1.endpoint",
    "flipshelf.web.dashboard.routes",
    "flipshelf.web.routes",
    "flipshelf.metrics",
    "uvicorn",
)


def test_the_worker_composition_root_imports_no_web_app_and_no_migrations() -> None:
    probe = "import sys, json, flipshelf.workers; print(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    loaded = set(json.loads(done.stdout))
    assert "flipshelf.runtime" in loaded  # the probe did import the worker's side
    assert sorted(loaded & set(NOT_IN_A_WORKER)) == []
