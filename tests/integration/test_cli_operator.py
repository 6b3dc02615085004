"""The installed `flipshelf` command as an operator meets it (issue 12): settings read the same
way by every command (environment, ./.env, <data dir>/.env), one line naming the variable for
each problem, and `serve` refusing to start where it could only fail later."""

from __future__ import annotations

import base64
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

from tests.served import LISTENING, PRINTED_KEY, flipshelf_command, free_port, serving

TRACEBACK = "Traceback (most recent call last)"


def run(
    *args: str, cwd: Path, timeout: float = 120, **settings: str
) -> subprocess.CompletedProcess[str]:
    """The installed command with no FLIPSHELF_* variables but `settings` (names without the
    prefix), in `cwd`, so a .env there is the one it finds."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLIPSHELF_")}
    env.update({f"FLIPSHELF_{k.upper()}": v for k, v in settings.items()})
    env["COLUMNS"] = "80"  # a narrow terminal: errors must still be one line each
    return subprocess.run(
        [*flipshelf_command(), *args],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_version_is_printed(tmp_path: Path) -> None:
    done = run("--version", cwd=tmp_path)
    assert done.returncode == 0
    assert re.fullmatch(r"flipshelf \d+\.\d+\.\d+\S*\n", done.stdout), done.stdout


def test_an_invalid_setting_is_one_line_naming_its_variable(tmp_path: Path) -> None:
    for command in (["serve"], ["accounts", "list"], ["worker"]):
        done = run(*command, cwd=tmp_path, port="abc", data_dir=str(tmp_path / "d"))
        assert done.returncode == 2, (command, done.stdout, done.stderr)
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: FLIPSHELF_PORT:"), done.stderr
        assert TRACEBACK not in done.stderr + done.stdout
        assert not (tmp_path / "d").exists()


def test_a_command_beside_a_missing_data_dir_makes_no_second_installation(tmp_path: Path) -> None:
    done = run("accounts", "create", "Bob", cwd=tmp_path)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "FLIPSHELF_DATA_DIR" in lines[0], done.stderr
    assert str(tmp_path / "data") in lines[0]
    assert not (tmp_path / "data").exists(), "a new data dir (and server key) was made"


def test_every_command_reads_the_dot_env_files_serve_reads(tmp_path: Path) -> None:
    """A .env in the working directory names the data dir; one in the data dir sets the rest.
    The environment wins over both."""
    data = tmp_path / "installation"
    assert run("migrate", cwd=tmp_path, data_dir=str(data)).returncode == 0
    (tmp_path / ".env").write_text(f"FLIPSHELF_DATA_DIR={data}\n")
    (data / ".env").write_text("FLIPSHELF_LOG_FORMAT=json\nFLIPSHELF_PORT=abc\n")
    # The data dir's .env is read: its bad port is reported.
    refused = run("accounts", "list", cwd=tmp_path)
    assert refused.returncode == 2 and "FLIPSHELF_PORT" in refused.stderr, refused.stderr
    # ./.env wins over the data dir's, the environment over both.
    (tmp_path / ".env").write_text(f"FLIPSHELF_DATA_DIR={data}\nFLIPSHELF_PORT=8123\n")
    made = run("accounts", "create", "Bob", "--json", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    listed = run("accounts", "list", "--json", cwd=tmp_path, port="8124")
    assert listed.returncode == 0 and '"Bob"' in listed.stdout, listed.stderr
    elsewhere = run("accounts", "list", cwd=tmp_path, data_dir=str(tmp_path / "nowhere"))
    assert elsewhere.returncode == 1 and "FLIPSHELF_DATA_DIR" in elsewhere.stderr


def test_a_port_in_use_is_one_line_before_anything_listens(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = run("serve", cwd=tmp_path, data_dir=str(tmp_path / "d"), port=str(port))
    assert done.returncode == 1, done.stdout + done.stderr
    assert not LISTENING.search(done.stdout), done.stdout
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "FLIPSHELF_PORT" in lines[0] and str(port) in lines[0], lines
    assert TRACEBACK not in done.stdout + done.stderr


def test_a_wrong_server_key_refuses_to_start(tmp_path: Path) -> None:
    data = tmp_path / "d"
    made = run("accounts", "create", "Ann", cwd=tmp_path, data_dir=str(data))
    assert made.returncode == 1  # no installation yet: nothing made
    assert run("migrate", cwd=tmp_path, data_dir=str(data)).returncode == 0
    assert run("accounts", "create", "Ann", cwd=tmp_path, data_dir=str(data)).returncode == 0
    other_key = base64.b64encode(os.urandom(32)).decode()
    done = run(
        "serve", cwd=tmp_path, data_dir=str(data), server_key=other_key, port=str(free_port())
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "server key" in done.stderr and "FLIPSHELF_SERVER_KEY" in done.stderr, done.stderr
    assert not LISTENING.search(done.stdout)
    assert TRACEBACK not in done.stdout + done.stderr


def test_a_database_that_cannot_be_migrated_refuses_to_start_in_one_line(
    tmp_path: Path,
) -> None:
    """`serve` migrates in a child process (it never loads alembic itself): the child's error
    comes back as one line, before anything listens."""
    done = run(
        "serve",
        cwd=tmp_path,
        data_dir=str(tmp_path / "d"),
        database_url="sqlite:////nonexistent-dir/sub/flipshelf.db",
        port=str(free_port()),
    )
    assert done.returncode == 1, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert "the database could not be migrated" in lines[0], lines
    assert "unable to open database file" in lines[0], lines
    assert not LISTENING.search(done.stdout)
    assert TRACEBACK not in done.stdout + done.stderr


def test_the_first_account_is_made_only_on_an_empty_database(tmp_path: Path) -> None:
    data = tmp_path / "d"
    with serving(data) as server:
        api_key, _ = server.key_pair()  # printed before "listening on"
        server.wait_until_serving()
    assert run("accounts", "revoke", api_key, cwd=tmp_path, data_dir=str(data)).returncode == 0
    with serving(data) as again:
        again.wait_until_serving()
        printed = again.output()
    assert not any(PRINTED_KEY.match(line) for line in printed.splitlines()), printed
    assert "every key is revoked" in printed


def test_help_loads_neither_the_web_app_nor_the_database_nor_pdfium(tmp_path: Path) -> None:
    """`flipshelf --help` answers at once: what it imports is read from `-X importtime`, not
    timed (the machine may be busy)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLIPSHELF_")}
    for args in (["--help"], ["accounts", "--help"], ["jobs", "--help"], ["check", "--help"]):
        done = subprocess.run(
            [sys.executable, "-X", "importtime", "-m", "flipshelf", *args],
            cwd=tmp_path,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0 and "Usage" in done.stdout, (args, done.stdout, done.stderr)
        imported = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines()}
        heavy = {"sqlalchemy", "starlette", "pypdfium2", "pydantic_settings", "redis", "huey"}
        assert not heavy & imported, (args, sorted(heavy & imported))
