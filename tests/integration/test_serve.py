"""`flipshelf serve` as an operator starts it: a real process, a real socket on 127.0.0.1, the
first account's key pair read from what it prints, and a signed call over HTTP."""

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

ROOT = Path(__file__).resolve().parents[2]
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

    def __post_init__(self) -> None:
        threading.Thread(target=self._pump, daemon=True).start()

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

    def output(self) -> str:
        while True:
            try:
                line = self._incoming.get_nowait()
            except queue.Empty:
                break
            if line is not None:
                self.lines.append(line)
        return "\n".join(self.lines)


@contextmanager
def serving(data_dir: Path, database_url: str) -> Iterator[Server]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLIPSHELF_")}
    env["FLIPSHELF_DATA_DIR"] = str(data_dir)
    if not database_url.startswith("sqlite"):
        env["FLIPSHELF_DATABASE_URL"] = database_url
    env["COLUMNS"] = "200"
    port = free_port()
    # A session of its own: serve's worker processes share its process group, so whatever the
    # test's outcome, the group can be stopped without touching any other process.
    process = subprocess.Popen(
        [*flipshelf_command(), "serve", "--host", "127.0.0.1", "--port", str(port)],
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
    deadline = time.monotonic() + 2
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


def test_the_shell_recipe_signs_the_reference_test_vector() -> None:
    env = dict(
        os.environ,
        FLIPSHELF_SIGN_ONLY="1",
        FLIPSHELF_API_KEY="45FD-267-7SG7832",
        FLIPSHELF_SECRET="123ABCDE-456-7890-FGH",
    )
    done = subprocess.run(
        ["bash", str(V1_CALL), "collection.getCollection", "collectionHash=fxh4k89"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert done.stdout.strip() == "26e781d3d1751d82ec284acf4a019def"


def test_serve_creates_the_first_account_once_and_answers_signed_calls(
    tmp_path: Path, database_url: str
) -> None:
    data_dir = tmp_path / "data"
    with serving(data_dir, database_url) as server:
        api_key = server.wait_for_line(PRINTED_KEY).group(1)
        secret = server.wait_for_line(PRINTED_SECRET).group(1)
        base = server.wait_until_serving()

        answer = call(base, api_key, secret, "user.getStats")
        assert answer["code"] == 20, answer
        assert answer["data"]["api_uploads_left"] == 1000
        assert answer["data"]["impressions"] == 0

        assert call(base, api_key, secret + "x", "user.getStats")["code"] == 44
        assert call(base, "NO-SUCH-KEY", secret, "user.getStats")["code"] == 41

        # The shell recipe of README.md and docs/api.md signs the same way.
        if shutil.which("curl"):
            listing = v1_call(base, api_key, secret, "collection.getList", "query=Frühling & Co")
            assert listing["code"] == 20, listing
            assert listing["data"] == {"collectionCount": 0, "collections": []}

    assert (data_dir / "server.key").exists()

    with serving(data_dir, database_url) as again:
        base = again.wait_until_serving()
        printed = again.output()
        assert "First account" not in printed, printed
        assert not PRINTED_KEY.search(printed) and not PRINTED_SECRET.search(printed), printed
        # Same database, same server key: the first pair still works.
        assert call(base, api_key, secret, "user.getStats")["code"] == 20


def test_serve_answers_on_both_v1_paths_and_in_every_format(tmp_path: Path) -> None:
    with serving(tmp_path / "data", "sqlite") as server:
        api_key = server.wait_for_line(PRINTED_KEY).group(1)
        secret = server.wait_for_line(PRINTED_SECRET).group(1)
        base = server.wait_until_serving()

        no_slash = call(base.rstrip("/"), api_key, secret, "user.getStats")
        assert no_slash["code"] == 20
        params = {"action": "user.getStats", "apiKey": api_key, "format": "xml"}
        params["signature"] = sign(secret, params)
        xml = httpx.get(base, params=params, timeout=10, trust_env=False)
        assert xml.headers["content-type"] == "application/xml; charset=utf-8"
        assert "<code>20</code>" in xml.text
        assert xml.headers["x-request-id"]


def test_stopping_serve_with_sigterm_stops_its_workers(tmp_path: Path) -> None:
    with serving(tmp_path / "data", "sqlite") as server:
        server.wait_until_serving()
        assert len(live_members(server.process.pid)) >= 2  # serve and its worker
    assert server.leftovers == []
