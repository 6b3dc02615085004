"""`flipshelf jobs status`: how many conversions and package builds wait, run and failed, and how
long the oldest has waited (docs/self-hosting.md). Registered on the main command by `register`."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

if TYPE_CHECKING:  # loaded when a command runs: `flipshelf --help` stays quick
    from flipshelf.app import Runtime

out = Console()
JsonFlag = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


def register(cli: typer.Typer, runtime: Callable[[], Runtime]) -> None:
    """Adds `jobs` to the main command; `runtime` is the main command's way to get one."""
    jobs_cli = typer.Typer(help="The job queue: conversions and package builds.")
    cli.add_typer(jobs_cli, name="jobs", no_args_is_help=True)

    @jobs_cli.command("status")
    def status(as_json: JsonFlag = False) -> None:
        """Per kind of job: waiting, running (a worker holds it), failed, and the age in
        seconds of the oldest waiting one."""
        from rich.table import Table

        from flipshelf.db.job_status import job_counts

        current = runtime()
        now = current.ports.clock.now()
        rows = [
            {
                "kind": counts.kind,
                "waiting": counts.waiting,
                "running": counts.running,
                "failed": counts.failed,
                "oldestWaitingSeconds": None
                if counts.oldest_waiting_since is None
                else round((now - counts.oldest_waiting_since).total_seconds(), 1),
            }
            for counts in job_counts(current.db, now)
        ]
        if as_json:
            typer.echo(json.dumps(rows))
            return
        table = Table("kind", "waiting", "running", "failed", "oldest waiting (s)")
        for row in rows:
            oldest = row["oldestWaitingSeconds"]
            table.add_row(
                str(row["kind"]),
                str(row["waiting"]),
                str(row["running"]),
                str(row["failed"]),
                "-" if oldest is None else str(oldest),
            )
        out.print(table)
