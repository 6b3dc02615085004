"""A fresh install has only the required dependencies: `make serve` runs `uv sync --locked`
without extras. The test suite's own environment has every extra (Redis, PostgreSQL, the dev
tools), so a module importing an extra's package passed every other test while the first start
of a fresh install failed with ModuleNotFoundError. Here the locked runtime set alone is
installed into a new virtualenv (from uv's cache), and its `flipshelf serve` must start, answer
/readyz and a signed call, and log nothing wrong."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from flipshelf.domain.accounts import KeyPair
from tests.served import serving, trouble
from tests.support import signed

ROOT = Path(__file__).resolve().parents[2]
UV = ROOT / ".tools" / "bin" / "uv"


def test_the_locked_runtime_dependencies_alone_serve(tmp_path: Path) -> None:
    if not UV.exists():
        pytest.skip("uv is installed by the Makefile (make test)")
    venv = tmp_path / "venv"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLIPSHELF_", "VIRTUAL_ENV"))}
    env.update(
        UV_PROJECT_ENVIRONMENT=str(venv), UV_PYTHON_DOWNLOADS="never", UV_PYTHON=sys.executable
    )
    synced = subprocess.run(
        [str(UV), "sync", "--locked", "--quiet"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert synced.returncode == 0, synced.stderr
    for extra in ("psycopg", "pytest"):  # really the runtime set only
        probe = subprocess.run(
            [str(venv / "bin" / "python"), "-c", f"import {extra}"],
            capture_output=True,
            check=False,
        )
        assert probe.returncode != 0, f"{extra} is installed: not a runtime-only environment"

    with serving(tmp_path / "data", command=[str(venv / "bin" / "flipshelf")]) as server:
        api_key, secret = server.key_pair()
        base = server.wait_until_serving()
        ready = httpx.get(f"{base.removesuffix('/v1/')}/readyz", timeout=30, trust_env=False)
        assert ready.status_code == 200, ready.text
        call = signed(KeyPair(api_key, secret), "collection.getList")
        answer = httpx.get(base, params=call, timeout=30, trust_env=False).json()
        assert answer["code"] == 20, answer
    assert trouble(server.lines) == [], server.output()
