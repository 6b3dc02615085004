"""`flipshelf webhooks list/add/delete/deliveries/redeliver`: the operator's view of every
account's webhook endpoints (docs/webhooks.md). Registered on the main command by `register`."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from flipshelf.domain.errors import FlipshelfError
from flipshelf.domain.webhooks import parse_events

if TYPE_CHECKING:  # each command imports what it uses when it runs: `--help` stays quick
    from flipshelf.runtime import Runtime

webhooks_cli = typer.Typer(
    help="Webhook endpoints of the accounts, their deliveries, redelivery.", no_args_is_help=True
)
out = Console()
err = Console(stderr=True, soft_wrap=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
WebhookId = Annotated[str, typer.Argument(metavar="WEBHOOK_ID", help="The endpoint's webhookId.")]


@dataclass
class _Wiring:
    """How the commands get their runtime: the main command's own way (migrations, logging)."""

    runtime: Callable[[], Runtime] | None = None


_wiring = _Wiring()


def register(cli: typer.Typer, runtime: Callable[[], Runtime]) -> None:
    """Adds `webhooks` to the main command; `runtime` builds what every command works on."""
    _wiring.runtime = runtime
    cli.add_typer(webhooks_cli, name="webhooks")


def _runtime() -> Runtime:
    import structlog

    assert _wiring.runtime is not None, "cli_webhooks.register() was not called"
    runtime = _wiring.runtime()
    # Log lines go to stderr: stdout is the command's answer (`--json` is parsed by scripts).
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr))
    return runtime


def _fail(error: FlipshelfError) -> typer.Exit:
    err.print(f"[red]error:[/red] {escape(error.detail or str(error))}")
    return typer.Exit(code=1)


def _print_json(value: Any) -> None:
    typer.echo(json.dumps(value))


@webhooks_cli.command("list")
def list_endpoints(
    api_key: Annotated[
        str | None, typer.Option("--api-key", help="Only this account's endpoints.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Every endpoint (or one account's), with its state and why it was disabled."""
    from flipshelf.api.v1.webhook_views import endpoint_view
    from flipshelf.services import webhooks

    runtime = _runtime()
    try:
        account = webhooks.account_of(runtime.ports, api_key) if api_key else None
    except FlipshelfError as error:
        raise _fail(error) from None
    views = [endpoint_view(e) for e in webhooks.endpoints(runtime.ports, account)]
    if as_json:
        _print_json(views)
        return
    table = Table("webhookId", "url", "events", "status", "last success", "disabled because")
    for view in views:
        table.add_row(
            view["webhookId"],
            escape(view["url"]),
            ",".join(view["events"]),
            view["status"],
            view["lastSuccessAt"] or "-",
            escape(view["disabledReason"] or ""),
        )
    out.print(table)


@webhooks_cli.command("add")
def add(
    api_key: Annotated[str, typer.Argument(metavar="API_KEY", help="The account's apiKey.")],
    url: Annotated[str, typer.Argument(help="Where deliveries are posted (http or https).")],
    events: Annotated[
        str, typer.Option("--events", help="Comma-separated events; empty: all.")
    ] = "",
    as_json: JsonFlag = False,
) -> None:
    """Register an endpoint; prints its webhookId and signing secret (shown only now)."""
    from flipshelf.api.v1.webhook_views import endpoint_view
    from flipshelf.services import webhooks

    runtime = _runtime()
    try:
        account = webhooks.account_of(runtime.ports, api_key)
        endpoint, secret = webhooks.set_endpoint(runtime.ports, account, url, parse_events(events))
    except FlipshelfError as error:
        raise _fail(error) from None
    if as_json:
        _print_json({**endpoint_view(endpoint), "secret": secret})
        return
    out.print(f"webhookId: {endpoint.public_id}\nsecret: {secret}")


@webhooks_cli.command("delete")
def delete(webhook_id: WebhookId) -> None:
    """Delete an endpoint and its delivery log."""
    from flipshelf.services import webhooks

    runtime = _runtime()
    try:
        webhooks.delete_endpoint(runtime.ports, None, webhook_id)
    except FlipshelfError as error:
        raise _fail(error) from None
    out.print(f"deleted {webhook_id}")


@webhooks_cli.command("deliveries")
def deliveries(
    webhook_id: WebhookId,
    limit: Annotated[int, typer.Option(min=1, max=500, help="How many, newest first.")] = 50,
    as_json: JsonFlag = False,
) -> None:
    """An endpoint's delivery log: status, attempts, last response code and error."""
    from flipshelf.api.v1.webhook_views import delivery_view
    from flipshelf.services import webhooks

    runtime = _runtime()
    try:
        total, found = webhooks.delivery_log(runtime.ports, None, webhook_id, 0, limit)
    except FlipshelfError as error:
        raise _fail(error) from None
    views = [delivery_view(d) for d in found]
    if as_json:
        _print_json({"deliveryCount": total, "deliveryItems": views})
        return
    table = Table("eventId", "event", "status", "attempts", "code", "last error", "next try")
    for view in views:
        code = view["lastResponseCode"]
        table.add_row(
            view["eventId"],
            view["event"],
            view["status"],
            str(view["attempts"]),
            "-" if code is None else str(code),
            escape(view["lastError"] or ""),
            view["nextAttemptAt"] or "-",
        )
    out.print(table)
    out.print(f"{len(views)} of {total} deliveries")


@webhooks_cli.command("redeliver")
def redeliver(
    webhook_id: WebhookId,
    event_id: Annotated[str, typer.Argument(metavar="EVENT_ID", help="The event's id.")],
    as_json: JsonFlag = False,
) -> None:
    """Send an event to the endpoint again now (enabling the endpoint if it was disabled)."""
    from flipshelf.api.v1.webhook_views import delivery_view
    from flipshelf.services import webhooks

    runtime = _runtime()
    try:
        delivery = webhooks.redeliver(runtime.ports, None, webhook_id, event_id)
    except FlipshelfError as error:
        raise _fail(error) from None
    if as_json:
        _print_json(delivery_view(delivery))
        return
    out.print(f"{event_id} queued for {webhook_id}")
