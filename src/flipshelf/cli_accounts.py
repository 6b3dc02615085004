"""`flipshelf accounts ...`: accounts and their API key pairs, and the first account `serve`
makes on an empty database. A live account's name is its own (docs/self-hosting.md)."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from flipshelf.cli_common import JsonFlag, fail, out, runtime
from flipshelf.domain.errors import FlipshelfError
from flipshelf.domain.signin import (
    MAX_LOGIN_LINK_SECONDS,
    MIN_LOGIN_LINK_SECONDS,
    parse_login_link_seconds,
)

if TYPE_CHECKING:
    from flipshelf.domain.accounts import Account, KeyPair
    from flipshelf.runtime import Runtime
    from flipshelf.services.signin import LoginLink

accounts_cli = typer.Typer(help="Manage accounts and their API key pairs.", no_args_is_help=True)


StrictFlag = Annotated[
    bool,
    typer.Option(
        "--strict", help="Require HMAC-SHA256 signatures with timestamp and nonce (docs/api.md)."
    ),
]


@accounts_cli.command("create")
def accounts_create(name: str, as_json: JsonFlag = False, strict: StrictFlag = False) -> None:
    """Create an account and print its apiKey and secret (the secret is shown only now)."""
    from flipshelf.services import accounts

    current = runtime()
    try:
        _, pair = accounts.create(current.ports, current.box, name, hmac_only=strict)
    except FlipshelfError as error:
        raise fail(error.detail) from None
    _print_pair(pair, as_json)


@accounts_cli.command("list")
def accounts_list(as_json: JsonFlag = False) -> None:
    """List accounts (never their secrets)."""
    from rich.table import Table

    rows = runtime().ports.accounts.all()
    if as_json:
        typer.echo(
            json.dumps(
                [
                    {
                        "name": a.name,
                        "apiKey": a.api_key,
                        "createdAt": a.created_at.isoformat(),
                        "revoked": not a.is_active,
                        "strict": a.strict,
                        "hmacOnly": a.hmac_only,
                    }
                    for a in rows
                ]
            )
        )
        return
    table = Table("name", "apiKey", "created", "state", "signing")
    for a in rows:
        signing = "HMAC-SHA256" if a.hmac_only else ("MD5, strict" if a.strict else "MD5 or HMAC")
        state = "active" if a.is_active else "revoked"
        table.add_row(a.name, a.api_key, f"{a.created_at:%Y-%m-%d}", state, signing)
    out.print(table)


@accounts_cli.command("revoke")
def accounts_revoke(api_key: str) -> None:
    """Revoke an apiKey: its calls answer 41 from now on."""
    from flipshelf.services import accounts

    current = runtime()
    try:
        accounts.revoke(current.ports, api_key)
    except FlipshelfError as error:
        raise fail(error.detail) from None
    out.print(f"revoked {api_key}")


@accounts_cli.command("unrevoke")
def accounts_unrevoke(api_key: str) -> None:
    """Let a revoked apiKey call again, with the secret it had."""
    from flipshelf.services import accounts

    try:
        accounts.unrevoke(runtime().ports, api_key)
    except FlipshelfError as error:
        raise fail(error.detail) from None
    out.print(f"{api_key} works again")


@accounts_cli.command("rename")
def accounts_rename(api_key: str, name: str) -> None:
    """Give an account a new name (unique among live accounts)."""
    from flipshelf.services import accounts

    try:
        account = accounts.rename(runtime().ports, api_key, name)
    except FlipshelfError as error:
        raise fail(error.detail) from None
    out.print(f"{api_key} is named {account.name!r}", highlight=False)


@accounts_cli.command("delete")
def accounts_delete(
    api_key: str,
    with_collections: Annotated[
        bool,
        typer.Option(
            "--with-collections", help="Delete the account's collections too (they answer 43)."
        ),
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Delete an account for good: its key answers 41, its name is free again. Refused while
    it has collections, unless --with-collections."""
    from flipshelf.services import accounts

    if not yes and not typer.confirm(f"Delete the account of {api_key} for good?"):
        raise fail("nothing deleted")
    try:
        deleted = accounts.delete(runtime().ports, api_key, with_collections=with_collections)
    except FlipshelfError as error:
        raise fail(error.detail) from None
    if as_json:
        typer.echo(json.dumps({"apiKey": api_key, "deletedCollections": deleted}))
    else:
        out.print(f"deleted the account of {api_key} and {len(deleted)} collection(s)")


@accounts_cli.command("rotate-secret")
def accounts_rotate(api_key: str, as_json: JsonFlag = False) -> None:
    """Give an apiKey a new secret; the old one stops working at once."""
    from flipshelf.services import accounts

    current = runtime()
    try:
        pair = accounts.rotate_secret(current.ports, current.box, api_key)
    except FlipshelfError as error:
        raise fail(error.detail) from None
    _print_pair(pair, as_json)


@accounts_cli.command("strict")
def accounts_strict(
    api_key: str,
    off: Annotated[bool, typer.Option("--off", help="Leave strict mode (and HMAC-only).")] = False,
    hmac_only: Annotated[
        bool, typer.Option("--hmac", help="Require HMAC-SHA256 signatures (MD5 answers 44).")
    ] = False,
) -> None:
    """Require signed `timestamp` and `nonce` from this key (replays answer 44); with --hmac,
    require HMAC-SHA256 signatures too."""
    from flipshelf.services import accounts

    try:
        accounts.set_strict(runtime().ports, api_key, not off, hmac_only)
    except FlipshelfError as error:
        raise fail(error.detail) from None
    mode = "off" if off else ("on, HMAC-SHA256 only" if hmac_only else "on")
    out.print(f"strict mode {mode} for {api_key}")


@accounts_cli.command("password")
def accounts_password(
    name: Annotated[str, typer.Argument(help="The account's name.")],
    from_stdin: Annotated[
        bool,
        typer.Option("--stdin", help="Read the password from the first line of standard input."),
    ] = False,
) -> None:
    """Set the password the account signs in to the dashboard with (stored as an argon2id
    hash). Signs the account's browsers out."""
    from flipshelf.app import sign_in_ports
    from flipshelf.services import signin

    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    current = runtime()
    try:
        account = signin.set_password(current.ports, sign_in_ports(current), name, password)
    except FlipshelfError as error:
        raise fail(error.detail) from None
    out.print(f"password set for {account.name} ({account.api_key})")


@accounts_cli.command("login-link")
def accounts_login_link(
    name: Annotated[str, typer.Argument(help="The account's name.")],
    expires: Annotated[
        int | None,
        typer.Option(
            "--expires",
            help=f"Seconds the link works ({MIN_LOGIN_LINK_SECONDS} to "
            f"{MAX_LOGIN_LINK_SECONDS}; default FLIPSHELF_LOGIN_LINK_SECONDS).",
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Print a one-time, expiring link that signs the account in to the dashboard."""
    current = runtime()
    try:
        link = _login_link(current, name, None if expires is None else str(expires))
    except FlipshelfError as error:
        raise fail(error.detail) from None
    if as_json:
        typer.echo(json.dumps({"url": link.url, "expiresAt": link.expires_at.isoformat()}))
    else:
        out.print(link.url, soft_wrap=True)
        out.print(f"signs in once, until {link.expires_at:%Y-%m-%d %H:%M:%S} UTC")


def _login_link(current: Runtime, name: str, expires: str | None) -> LoginLink:
    from flipshelf.app import sign_in_ports
    from flipshelf.services import signin

    settings = current.settings
    seconds = parse_login_link_seconds(expires, settings.login_link_seconds)
    return signin.login_link(
        current.ports, sign_in_ports(current), name, seconds, settings.resolved_public_url()
    )


def first_account(current: Runtime) -> None:
    """An empty database gets a first account, printed once. A database whose every key was
    revoked (or account deleted) gets none: a fresh live key pair printed at every restart would
    undo the revocation."""
    from flipshelf.services import accounts

    if not current.ports.accounts.any_ever():
        account, pair = accounts.create(current.ports, current.box, "default")
        out.print("[bold]First account created. Keep these; the secret is not shown again:[/bold]")
        out.print(f"  apiKey: {pair.api_key}\n  secret: {pair.secret}")
        print_first_sign_in(current, account)
    elif not current.ports.accounts.count_active():
        out.print(
            "[yellow]No active API key: every key is revoked or deleted. "
            "`flipshelf accounts create NAME` makes a new account.[/yellow]"
        )


def print_first_sign_in(current: Runtime, account: Account) -> None:
    """`serve` prints a sign-in link for the first account beside its key pair."""
    from flipshelf.app import sign_in_ports
    from flipshelf.services import signin

    settings = current.settings
    link = signin.link_for(
        current.ports,
        sign_in_ports(current),
        account,
        settings.login_link_seconds,
        settings.resolved_public_url(),
    )
    out.print("  dashboard sign-in link (works once; `flipshelf accounts login-link NAME`):")
    out.print(f"  signin: {link.url}", soft_wrap=True)


@accounts_cli.command("usage")
def accounts_usage(
    api_key: Annotated[
        str | None, typer.Argument(help="One account's apiKey (default: every account).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """What each account holds: collections, books, converted pages, uploads this month (the
    monthly quota counts them) and the bytes its files take in the store."""
    from rich.table import Table

    from flipshelf.db.usage import SqlHoldings
    from flipshelf.services.usage import usage

    current = runtime()
    found = usage(SqlHoldings(current.db), current.ports.files, current.ports.clock, api_key)
    if api_key is not None and not found:
        raise fail("no account has this apiKey")
    rows = [
        {
            "name": row.holdings.name,
            "apiKey": row.holdings.api_key,
            "collections": row.holdings.collections,
            "flipbooks": row.holdings.flipbooks,
            "pages": row.holdings.pages,
            "month": row.month,
            "uploadsThisMonth": row.holdings.uploads_this_month,
            "storedBytes": row.stored_bytes,
        }
        for row in found
    ]
    if as_json:
        typer.echo(json.dumps(rows))
        return
    table = Table("name", "apiKey", "collections", "books", "pages", "uploads", "stored")
    for each in found:
        held = each.holdings
        cells = [held.collections, held.flipbooks, held.pages, held.uploads_this_month]
        stored = f"{each.stored_bytes / 1e6:.1f} MB"
        table.add_row(held.name, held.api_key, *map(str, cells), stored)
    out.print(table)


def _print_pair(pair: KeyPair, as_json: bool) -> None:
    """A key pair, shown once: the secret is never stored in clear."""
    if as_json:
        typer.echo(json.dumps({"apiKey": pair.api_key, "secret": pair.secret}))
    else:
        out.print(f"apiKey: {pair.api_key}\nsecret: {pair.secret}")
