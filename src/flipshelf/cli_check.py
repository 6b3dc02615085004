"""`flipshelf check`: the readiness probes `/readyz` runs (flipshelf/health.py) plus what only an
operator's start-up check can afford: the server key opens the stored secrets, the file store
takes a write, the migrations are current, the CJK fallback fonts draw. One line per problem,
exit status 1 when there is any (docs/health.md). Registered on `cli` by `register`."""

from __future__ import annotations

import asyncio
import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape

from flipshelf.domain import layout

if TYPE_CHECKING:  # the rest loads when `check` runs: `flipshelf --help` stays quick
    from flipshelf.health import Finding
    from flipshelf.runtime import Runtime
    from flipshelf.settings import Settings

out = Console()
err = Console(stderr=True, soft_wrap=True)
PROBE = b"flipshelf check\n"


def register(cli: typer.Typer) -> None:
    """Adds `check` to the main command."""
    cli.command("check")(check)


def check(
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
    fonts: Annotated[bool, typer.Option(help="Also check the CJK fallback fonts.")] = True,
) -> None:
    """Check the settings and every dependency; exit 1 with one line per problem."""
    from flipshelf.health import Finding
    from flipshelf.settings import SettingsError, load_settings

    try:
        settings = load_settings()
    except SettingsError as invalid:
        _report([Finding("settings", False, line) for line in str(invalid).splitlines()], as_json)
        return
    findings = run_checks(settings, fonts)
    _report(findings, as_json)


def run_checks(settings: Settings, fonts: bool = True) -> list[Finding]:
    from flipshelf.app import probes, rate_limiter
    from flipshelf.health import probe_all
    from flipshelf.runtime import build_runtime

    findings = [_catching("migrations", lambda: _migrations(settings))]
    runtime = build_runtime(settings)
    try:
        findings += asyncio.run(probe_all(probes(runtime, rate_limiter(settings))))
        findings.append(_catching("server_key", lambda: server_key_problem(runtime)))
        findings.append(_catching("storage_write", lambda: _storage_write(runtime)))
        if fonts:
            findings.append(_catching("fonts", _fonts))
    finally:
        runtime.ports.inspector.close()
        runtime.db.dispose()
    return findings


def _report(findings: list[Finding], as_json: bool) -> None:
    failed = [finding for finding in findings if not finding.ok]
    if as_json:
        typer.echo(json.dumps([{"check": f.name, "ok": f.ok, "error": f.detail} for f in findings]))
    else:
        for finding in findings:
            if finding.ok:
                out.print(f"ok    {finding.name}")
        for finding in failed:
            err.print(f"FAIL  {finding.name}: {escape(finding.detail)}", soft_wrap=True)
    if failed:
        raise typer.Exit(code=1)


def _catching(name: str, check: Callable[[], str]) -> Finding:
    from flipshelf.health import Finding

    """Runs one check: it answers a problem ("" for none) or raises one."""
    try:
        problem = check()
    except Exception as error:  # a check reports every failure as a line; it never crashes
        lines = str(error).strip().splitlines()
        problem = f"{type(error).__name__}: {lines[0][:200] if lines else ''}"
    return Finding(name, not problem, problem)


def _migrations(settings: Settings) -> str:
    from flipshelf.db.migrate import pending

    missing = pending(settings.resolved_database_url())
    if not missing:
        return ""
    return f"{len(missing)} migration(s) not applied ({missing[0]}...): run `flipshelf migrate`"


def server_key_problem(runtime: Runtime) -> str:
    """The key must open a stored secret: with a wrong key every API call would fail."""
    from cryptography.exceptions import InvalidTag

    from flipshelf.db.accounts import SqlAccounts

    sample = SqlAccounts(runtime.db).one_sealed_secret()
    if sample is None:
        return ""  # nothing sealed yet: any key will do
    api_key, sealed = sample
    try:
        runtime.box.open(sealed, api_key)
    except InvalidTag:
        return "the server key does not open the stored API secrets (FLIPSHELF_SERVER_KEY?)"
    return ""


def _storage_write(runtime: Runtime) -> str:
    files = runtime.ports.files
    with tempfile.TemporaryDirectory() as scratch:
        probe = Path(scratch) / "probe"
        probe.write_bytes(PROBE)
        files.put_file(layout.HEALTH_PROBE, probe)
    try:
        with files.open_read(layout.HEALTH_PROBE) as stored:
            if stored.read() != PROBE:
                return "the file store gave back something else than was written"
    finally:
        files.delete(layout.HEALTH_PROBE)
    return ""


def _fonts() -> str:
    from flipshelf.conversion.fonts import missing_fallback_fonts

    return "; ".join(missing_fallback_fonts())
