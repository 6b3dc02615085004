"""Helpers for benchmarks/api.py: the seeded data directory, the app under test with a bare
baseline route mounted on it, and the server processes (uvicorn, granian) that serve it.

Kept apart from api.py because the server process imports `app_factory` from here: it must not
import the load generator, and the benchmark must not import the server's globals.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

BARE_PATH = "/bench/bare"
SINK_PATH = "/bench/sink"
BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
HUGE_RATE = 1_000_000_000


# --- the app the server runs --------------------------------------------------------------


async def bare_json(request: Request) -> JSONResponse:
    """The baseline: the smallest useful Starlette JSON endpoint, on the same app and server."""
    return JSONResponse({"code": 20, "status": "OK", "data": {"answer": 42}})


async def bare_sink(request: Request) -> JSONResponse:
    """The upload baseline: read the body as it streams and throw it away."""
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
    return JSONResponse({"code": 20, "status": "OK", "data": {"bytes": size}})


def app_factory() -> Starlette:
    """flipshelf's app exactly as `flipshelf serve` builds it, plus the bare routes."""
    from flipshelf.app import app_from_environment

    app = app_from_environment()
    app.router.routes.append(Route(BARE_PATH, bare_json, methods=["GET"]))
    app.router.routes.append(Route(SINK_PATH, bare_sink, methods=["POST"]))
    return app


# --- the data the benchmark reads ---------------------------------------------------------


def bench_environment(data_dir: Path) -> dict[str, str]:
    """FLIPSHELF_* settings for the seeding process and the server alike: SQLite in `data_dir`,
    rate limits far above anything the load generator can reach, no per-request logging."""
    return {
        "FLIPSHELF_DATA_DIR": str(data_dir),
        "FLIPSHELF_DATABASE_URL": "",
        "FLIPSHELF_SERVER_KEY": "",
        "FLIPSHELF_PUBLIC_URL": "http://127.0.0.1",
        "FLIPSHELF_RATE_PER_SECOND": str(HUGE_RATE),
        "FLIPSHELF_RATE_PER_MINUTE": str(HUGE_RATE),
        "FLIPSHELF_RATE_LIMIT_STORAGE": "memory://",
        "FLIPSHELF_MAINTENANCE": "false",
        "FLIPSHELF_LENIENT_VERBS": "false",
        "FLIPSHELF_LOG_FORMAT": "console",
        "FLIPSHELF_LOG_LEVEL": "warning",
    }


def use_bench_environment(data_dir: Path) -> dict[str, str]:
    """Replaces every FLIPSHELF_* variable of this process (a developer's own settings must not
    leak into the run) and returns the environment for the server processes."""
    for name in [name for name in os.environ if name.startswith("FLIPSHELF_")]:
        del os.environ[name]
    os.environ.update(bench_environment(data_dir))
    return dict(os.environ)


def seed(data_dir: Path, pool_size: int, accounts: int = 5, collections: int = 200) -> list[str]:
    """Migrates a fresh database, makes `accounts` accounts and `collections` published
    collections spread over them, each with one COMPLETE flipbook, through the services
    (tests/support.py's own helpers, so the seeding follows the code as it changes), and answers
    a pool of signed request paths for collection.getCollection spread over every collection
    and every key: the server reads many rows with several keys, not one cached row."""
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    from flipshelf.api.v1.signature import sign
    from flipshelf.db.migrate import upgrade
    from flipshelf.domain.collections import ConvertStatus
    from flipshelf.runtime import build_runtime
    from flipshelf.settings import Settings
    from tests.support import new_tenant, seed_collection

    settings = Settings()
    data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.resolved_database_url())
    runtime = build_runtime(settings)
    try:
        tenants = [new_tenant(runtime, f"bench{n}") for n in range(accounts)]
        seeded = [
            (tenant, seed_collection(runtime, tenant, items=(ConvertStatus.COMPLETE,)))
            for n in range(collections)
            for tenant in [tenants[n % accounts]]
        ]
    finally:
        runtime.db.dispose()
    # No nonce, so one signed URL stays valid for every request. Parameter orders vary too, so
    # nothing downstream can get away with caching one exact string.
    orders = [
        ("action", "apiKey", "collectionHash", "signature"),
        ("apiKey", "action", "signature", "collectionHash"),
        ("signature", "collectionHash", "apiKey", "action"),
        ("collectionHash", "signature", "action", "apiKey"),
    ]
    paths = []
    for i in range(max(pool_size, collections)):
        tenant, collection = seeded[i % len(seeded)]
        params = {
            "action": "collection.getCollection",
            "apiKey": tenant.pair.api_key,
            "collectionHash": collection.hash,
        }
        params["signature"] = sign(tenant.pair.secret, params)
        paths.append(
            "/v1/?" + urlencode([(name, params[name]) for name in orders[i % len(orders)]])
        )
    return paths


# --- server processes ---------------------------------------------------------------------


@dataclass(frozen=True)
class ServerKind:
    name: str
    available: bool
    reason: str = ""


def venv_tool(name: str) -> str | None:
    """A console script next to this interpreter (the venv's), else one on PATH."""
    local = Path(sys.executable).parent / name
    return str(local) if local.exists() else shutil.which(name)


def server_kinds() -> list[ServerKind]:
    kinds = [ServerKind("uvicorn", True)]
    try:
        import granian  # noqa: F401
    except ImportError:
        kinds.append(ServerKind("granian", False, "not installed (pip install granian)"))
    else:
        available = venv_tool("granian") is not None
        kinds.append(ServerKind("granian", available, "" if available else "no granian script"))
    return kinds


def server_command(kind: str, port: int) -> list[str]:
    host = "127.0.0.1"
    if kind == "uvicorn":
        return [
            sys.executable, "-m", "uvicorn", "_servers:app_factory", "--factory",
            "--app-dir", str(BENCH_DIR), "--host", host, "--port", str(port),
            "--workers", "1", "--loop", "uvloop", "--http", "httptools",
            "--no-access-log", "--log-level", "warning",
        ]  # fmt: skip
    if kind == "granian":
        granian = venv_tool("granian")
        assert granian is not None
        return [
            granian, "--interface", "asgi", "--host", host, "--port", str(port),
            "--workers", "1", "--runtime-threads", "1", "--loop", "uvloop", "--http", "1",
            "--no-ws", "--no-access-log", "--log-level", "warning",
            "--working-dir", str(BENCH_DIR), "--factory", "_servers:app_factory",
        ]  # fmt: skip
    raise ValueError(f"unknown server {kind}")


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Server:
    """One server process on 127.0.0.1, in its own process group so it is stopped whole."""

    def __init__(self, kind: str, env: dict[str, str], log_path: Path) -> None:
        self.kind, self.port = kind, free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        search = [str(BENCH_DIR), env.get("PYTHONPATH", "")]
        env = {**env, "PYTHONPATH": os.pathsep.join(filter(None, search))}
        self._log = log_path.open("wb")
        self.process = subprocess.Popen(
            server_command(kind, self.port),
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.kind} exited with {self.process.returncode}")
            with (
                contextlib.suppress(OSError),
                urllib.request.urlopen(self.base + BARE_PATH, timeout=1) as answer,
            ):
                if answer.status == 200:
                    return
            time.sleep(0.1)
        raise RuntimeError(f"{self.kind} did not answer within {timeout:.0f} s")

    def worker_pids(self) -> list[int]:
        """The process(es) running the app: uvicorn with one worker serves in the process it was
        started as; granian forks a worker under it."""
        pids = [self.process.pid]
        for children in Path(f"/proc/{self.process.pid}/task").glob("*/children"):
            with contextlib.suppress(OSError, ValueError):
                pids += [int(pid) for pid in children.read_text().split()]
        return pids

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server and its worker processes so far (Linux /proc;
        0 elsewhere): with the request count it gives CPU per request, which stays meaningful
        when the machine is busy with other work and throughput is not."""
        total = 0
        for pid in self.worker_pids():
            with contextlib.suppress(OSError, IndexError, ValueError):
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)
        return total / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self._log.close()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
