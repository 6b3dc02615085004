"""A real `flipshelf serve` for the client's tests: the installed command as a subprocess on
127.0.0.1 (a free port, a temporary data directory), its output in a log file that the tests
read for the first key pair and check for tracebacks, and more accounts made with the CLI."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from flipshelf_client import Client

START_SECONDS = 60.0
FIRST_KEY = re.compile(r"^\s*apiKey:\s*(\S+)\s*$\n^\s*secret:\s*(\S+)\s*$", re.M)
LISTENING = re.compile(r"listening on (http://\S+)/v1/")


def flipshelf() -> str:
    beside = Path(sys.executable).with_name("flipshelf")
    found = str(beside) if beside.exists() else shutil.which("flipshelf")
    assert found, "the `flipshelf` command is not installed (make dev-venv)"
    return found


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def clean_environment(**settings: str) -> dict[str, str]:
    """This process's environment without any FLIPSHELF_* or proxy variable, plus `settings`."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("FLIPSHELF_") and "proxy" not in name.lower()
    }
    env["COLUMNS"] = "200"  # rich must not wrap the lines we read
    env.update(settings)
    return env


@dataclass
class LiveServer:
    process: subprocess.Popen[bytes]
    log: Path
    env: dict[str, str]
    url: str = ""
    api_key: str = ""
    secret: str = ""

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_until_serving(self) -> None:
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"serve exited ({self.process.returncode}):\n{self.output()}")
            printed = self.output()
            pair, listening = FIRST_KEY.search(printed), LISTENING.search(printed)
            if pair and listening and self._answers(listening.group(1)):
                self.api_key, self.secret = pair.groups()
                self.url = listening.group(1)
                return
            time.sleep(0.1)
        raise AssertionError(f"serve did not start in time:\n{self.output()}")

    def _answers(self, url: str) -> bool:
        try:
            httpx.get(url + "/v1/", timeout=2, trust_env=False)
        except httpx.TransportError:
            return False
        return True

    def cli(self, *args: str) -> str:
        """Runs `flipshelf ARGS` on this server's data directory and answers its output."""
        done = subprocess.run(
            [flipshelf(), *args], env=self.env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def new_account(self, name: str) -> tuple[str, str]:
        pair: dict[str, Any] = json.loads(self.cli("accounts", "create", name, "--json"))
        return pair["apiKey"], pair["secret"]

    def client(
        self, api_key: str | None = None, secret: str | None = None, **options: Any
    ) -> Client:
        return Client(
            self.url, api_key or self.api_key, secret or self.secret, trust_env=False, **options
        )

    def tracebacks(self, since: int = 0) -> str:
        """The part of the log from byte `since` on, when it holds a traceback; else ''."""
        with self.log.open("rb") as log:
            log.seek(since)
            text = log.read().decode(errors="replace")
        return text if "Traceback" in text else ""

    def log_size(self) -> int:
        return self.log.stat().st_size


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM as a service manager sends it, then SIGKILL for whatever of its process group
    (its workers, their renderers) is left, so no test leaves a process behind."""
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=15)
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


@contextmanager
def live_server(directory: Path, **settings: str) -> Iterator[LiveServer]:
    """`flipshelf serve` on a free loopback port with its data in `directory`; `settings` are
    FLIPSHELF_* variables (names without the prefix, e.g. RATE_PER_SECOND="2")."""
    directory.mkdir(parents=True, exist_ok=True)
    env = clean_environment(
        FLIPSHELF_DATA_DIR=str(directory / "data"),
        **{f"FLIPSHELF_{name}": value for name, value in settings.items()},
    )
    port = free_port()
    log = directory / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [flipshelf(), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, stopped whole afterwards
        )
    server = LiveServer(process, log, env)
    try:
        server.wait_until_serving()
        yield server
    finally:
        stop(process)
