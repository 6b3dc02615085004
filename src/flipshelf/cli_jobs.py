"""`flipshelf jobs status`: how many conversions and package builds wait, run and failed, and how
long the oldest has waited; `flipshelf jobs retry`: FAILED ones run again (docs/self-hosting.md).
Registered on the main command by `register`."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

if TYPE_CHECKING:  # loaded when a command runs: `flipshelf --help` stays quick
    from flipshelf.runtime import Runtime

out = Console()
err = Console(stderr=True, soft_wrap=True)
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

    @jobs_cli.command("retry")
    def retry(
        flipbooks: Annotated[
            list[str] | None,
            typer.Option("--flipbook", help="A FAILED conversion's flipbook hash (repeatable)."),
        ] = None,
        packages: Annotated[
            list[int] | None,
            typer.Option("--package", help="A FAILED package build's id (repeatable)."),
        ] = None,
        every: Annotated[
            bool, typer.Option("--all", help="Every FAILED conversion and package build.")
        ] = False,
        as_json: JsonFlag = False,
    ) -> None:
        """Run FAILED conversions and package builds again (from their first try). Exits 1
        when a named one was not retried: not FAILED, or its collection is deleted or has
        changed since (a package of an older version)."""
        from flipshelf.db.job_retry import SqlRetries
        from flipshelf.services.job_retry import retry_failed

        if every == bool(flipbooks or packages):
            err.print("[red]error:[/red] name what to retry (--flipbook, --package) or --all")
            raise typer.Exit(code=2)
        current = runtime()
        retries = SqlRetries(current.db, current.settings.job_attempts)
        done = retry_failed(
            retries,
            current.ports.queue,
            current.ports.clock,
            conversions=None if every else (flipbooks or []),
            packages=None if every else (packages or []),
        )
        missed = [f"flipbook {h}" for h in flipbooks or [] if h not in done.conversions] + [
            f"package {i}" for i in packages or [] if i not in done.packages
        ]
        if as_json:
            typer.echo(
                json.dumps(
                    {
                        "conversions": done.conversions,
                        "packages": done.packages,
                        "notRetried": missed,
                    }
                )
            )
        else:
            out.print(
                f"retrying {len(done.conversions)} conversion(s), {len(done.packages)} package "
                "build(s)"
            )
            for flipbook_hash in done.conversions:
                out.print(f"  flipbook {flipbook_hash}")
            for package_id in done.packages:
                out.print(f"  package {package_id}")
        for name in missed:
            err.print(f"[red]error:[/red] {name} was not retried: not FAILED, or no longer wanted")
        if missed:
            raise typer.Exit(code=1)
