"""A running `flipshelf serve`, as an operator starts it: the installed command in a process of its
own on 127.0.0.1, every line it prints kept, and its log checked for tracebacks and errors.

Used by every test that goes through the path users take (tests/integration/test_serve.py,
tests/e2e/test_installed_serve.py)."""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from flipshelf.api.v1.signature import sign

ROOT = Path(__file__).resolve().parents[1]
V1_CALL = ROOT / "scripts" / "v1-call.sh"
START_TIMEOUT = 60.0
LISTENING = re.compile(r"listening on (http://\S+)")
PRINTED_KEY = re.compile(r"^\s*apiKey:\s*(\S+)")
PRINTED_SECRET = re.compile(r"^\s*secret:\s*(\S+)")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def flipshelf_command() -> list[str]:
    script = Path(sys.executable).with_name("flipshelf")
    found = str(script) if script.exists() else shutil.which("flipshelf")
    assert found, "the `flipshelf` command is not installed (pip install -e .)"
    return [found]


@dataclass
class Server:
    """A running `flipshelf serve` and every line it has printed so far."""

    process: subprocess.Popen[str]
    port: int
    lines: list[str] = field(default_factory=list)
    leftovers: list[int] = field(default_factory=list)
    _incoming: queue.Queue[str | None] = field(default_factory=queue.Queue)
    _pair: tuple[str, str] | None = None

    def __post_init__(self) -> None:
        self._pumping = threading.Thread(target=self._pump, daemon=True)
        self._pumping.start()

    def close(self) -> None:
        """Once the process group has stopped: every line it printed into `lines`, and the
        pipe closed."""
        self._pumping.join(timeout=30)
        self.output()
        if self.process.stdout is not None:
            self.process.stdout.close()

    def _pump(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._incoming.put(line.rstrip("\n"))
        self._incoming.put(None)

    def wait_for_line(self, pattern: re.Pattern[str]) -> re.Match[str]:
        """Reads printed lines until one matches; fails if the process ends or times out."""
        deadline = time.monotonic() + START_TIMEOUT
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self._incoming.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                pytest.fail(f"serve exited ({self.process.wait()}):\n{self.output()}")
            self.lines.append(line)
            if found := pattern.search(line):
                return found
        pytest.fail(f"serve printed no {pattern.pattern!r} in time:\n{self.output()}")

    def wait_until_serving(self) -> str:
        base = self.wait_for_line(LISTENING).group(1)
        assert base == f"http://127.0.0.1:{self.port}/v1/"
        # The line comes just before the socket opens: poll until it answers.
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"serve exited ({self.process.returncode}):\n{self.output()}")
            try:
                httpx.get(base, timeout=2, trust_env=False)
                return base
            except httpx.TransportError:
                time.sleep(0.1)
        pytest.fail(f"serve never answered on {base}:\n{self.output()}")

    def key_pair(self) -> tuple[str, str]:
        """The first account's apiKey and secret, as serve printed them."""
        if self._pair is None:
            api_key = self.wait_for_line(PRINTED_KEY).group(1)
            self._pair = (api_key, self.wait_for_line(PRINTED_SECRET).group(1))
        return self._pair

    def output(self) -> str:
        while True:
            try:
                line = self._incoming.get_nowait()
            except queue.Empty:
                break
            if line is not None:
                self.lines.append(line)
        return "\n".join(self.lines)


# What no healthy run prints: a Python traceback, an error or critical log line (structlog's
# console or JSON form, or the standard library's), or Huey dropping a job it cannot find.
TROUBLE = re.compile(
    r"Traceback \(most recent call last\)|\[(error|critical)\s*\]|\"level\": \"(error|critical)\"|"
    r"\b(ERROR|CRITICAL)\b|HueyException|not found in TaskRegistry"
)


def trouble(lines: list[str]) -> list[str]:
    """The lines of a log that show something went wrong (see TROUBLE)."""
    return [line for line in lines if TROUBLE.search(line)]


@contextmanager
def serving(
    data_dir: Path,
    database_url: str = "sqlite",
    *,
    command: list[str] | None = None,
    **settings: str,
) -> Iterator[Server]:
    """`flipshelf serve` with default settings but for its data dir, its port, the database
    (when not SQLite) and `settings` (FLIPSHELF_* names without the prefix, lower case).
    `command`: another installation's `flipshelf` (default: this environment's)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLIPSHELF_")}
    env["FLIPSHELF_DATA_DIR"] = str(data_dir)
    if not database_url.startswith("sqlite"):
        env["FLIPSHELF_DATABASE_URL"] = database_url
    env.update({f"FLIPSHELF_{name.upper()}": value for name, value in settings.items()})
    env["COLUMNS"] = "200"
    port = free_port()
    # A session of its own: serve's worker processes share its process group, so whatever the
    # test's outcome, the group can be stopped without touching any other process.
    process = subprocess.Popen(
        [*(command or flipshelf_command()), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    server = Server(process, port)
    try:
        yield server
    finally:
        server.leftovers = stop(process)
        server.close()


def live_members(group: int) -> list[int]:
    """Processes of a process group that are still running (zombies excluded)."""
    members = []
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat_file.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # the process ended while we looked
        state, process_group = fields[0], int(fields[2])
        if process_group == group and state != "Z":
            members.append(int(stat_file.parent.name))
    return members


def stop(process: subprocess.Popen[str]) -> list[int]:
    """Stops serve as a service manager would (SIGTERM); answers the processes of its group
    still running once it has exited, after killing them so no test leaves anything behind."""
    group = process.pid  # start_new_session: the group id is the leader's pid
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=15)
    deadline = time.monotonic() + 15  # its children leave once it has: allow a busy machine
    while (left := live_members(group)) and time.monotonic() < deadline:
        time.sleep(0.2)
    if left:
        os.killpg(group, signal.SIGKILL)
    return left


def call(base: str, api_key: str, secret: str, action: str, **extra: str) -> dict[str, Any]:
    params = {"action": action, "apiKey": api_key, **extra}
    params["signature"] = sign(secret, params)
    response = httpx.get(base, params=params, timeout=10, trust_env=False)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    return body


def v1_call(base: str, api_key: str, secret: str, *args: str) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env.update(
        FLIPSHELF_URL=base.removesuffix("/v1/"),
        FLIPSHELF_API_KEY=api_key,
        FLIPSHELF_SECRET=secret,
    )
    done = subprocess.run(
        ["bash", str(V1_CALL), *args], env=env, capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0, done.stderr
    body: dict[str, Any] = json.loads(done.stdout)
    return body
