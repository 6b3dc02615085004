"""`publish` and `download-html`: the client's commands, with rich progress bars.

They run as `flipshelf publish ...` (the server's command line hands them over, importing this
module only then) and as `flipshelf-client publish ...` where only the client is installed.
What a script wants (the embed code, the link, the zip's path) goes to stdout; progress and
errors go to stderr. The connection comes from `--url`/`--api-key`/`--secret`, else the
environment, else the profile file (see config.py).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

try:
    import typer
    from rich.console import Console
    from rich.markup import escape
    from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeRemainingColumn
except ImportError as missing:  # installed without the `cli` extra
    raise SystemExit(
        f"flipshelf-client's commands need {missing.name}: pip install 'flipshelf-client[cli]'"
    ) from None

from flipshelf_client.client import Client
from flipshelf_client.errors import ConfigurationError, FlipshelfError
from flipshelf_client.models import Collection, CollectionStatus, ConvertStatus, PackageStatus

app = typer.Typer(
    help="Publish documents to a flipshelf (or Flipsnack-v1-compatible) server.",
    no_args_is_help=True,
    add_completion=False,
)
err = Console(stderr=True)

Url = Annotated[
    str | None,
    typer.Option(
        "--url", help="Server base URL (else FLIPSHELF_URL, else the profile).", show_default=False
    ),
]
ApiKey = Annotated[
    str | None,
    typer.Option(
        "--api-key", help="API key (else FLIPSHELF_API_KEY, else the profile).", show_default=False
    ),
]
Secret = Annotated[
    str | None,
    typer.Option(
        "--secret",
        help="API secret (else FLIPSHELF_API_SECRET, else the profile).",
        show_default=False,
    ),
]
Profile = Annotated[
    str | None,
    typer.Option(
        "--profile",
        help="Profile of ~/.config/flipshelf/profiles.toml (else FLIPSHELF_PROFILE, else default).",
        show_default=False,
    ),
]
SigningOption = Annotated[
    str | None,
    typer.Option(
        "--signing",
        help="md5, md5-strict or hmac-sha256 (else FLIPSHELF_SIGNING, else md5).",
        show_default=False,
    ),
]
Timeout = Annotated[float, typer.Option("--timeout", help="Seconds to wait at most.")]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
SRC = re.compile(r'src="([^"]+)"')


@contextmanager
def _connected(
    url: str | None,
    api_key: str | None,
    secret: str | None,
    profile: str | None,
    signing: str | None,
) -> Iterator[Client]:
    """The client, and every failure as a one-line message and an exit code (1 refused or
    failed, 2 not configured), never a traceback."""
    try:
        with Client.from_env(
            url=url, api_key=api_key, secret=secret, profile=profile, signing=signing
        ) as client:
            yield client
    except ConfigurationError as error:
        _error(str(error))
        raise typer.Exit(2) from None
    except (FlipshelfError, ValueError) as error:
        _error(str(error))
        raise typer.Exit(1) from None


def _error(message: str) -> None:
    err.print(f"[red]error:[/red] {escape(message)}", highlight=False)


def _bars(console: Console = err) -> Progress:
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[amount]}"),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    )


class _Conversion:
    """A bar per flipbook: pages ready of its page count, as wait_until_complete reports."""

    def __init__(self, bars: Progress) -> None:
        self.bars = bars
        self.tasks: dict[str, TaskID] = {}

    def __call__(self, collection: Collection) -> None:
        for item in collection.items:
            if item.flipbook_hash not in self.tasks:
                self.tasks[item.flipbook_hash] = self.bars.add_task("", total=None, amount="")
            state = {
                ConvertStatus.PROCESSING: "converting",
                ConvertStatus.COMPLETE: "converted",
                ConvertStatus.FAILED: "[red]failed[/red]",
            }[item.convert_status]
            total = item.page_count
            self.bars.update(
                self.tasks[item.flipbook_hash],
                description=f"{state} {escape(item.title)}",
                total=total,
                completed=item.pages_ready,
                amount=f"{item.pages_ready}/{total if total is not None else '?'} pages",
            )


def _upload_bar(bars: Progress, path: Path) -> Any:
    task = bars.add_task(f"uploading {escape(path.name)}", total=path.stat().st_size, amount="")

    def progress(sent: int, total: int | None) -> None:
        bars.update(task, completed=sent, total=total, amount=_megabytes(sent, total))

    return progress


def _megabytes(done: int, total: int | None) -> str:
    mib = 1024 * 1024
    return f"{done / mib:.1f}/{total / mib:.1f} MiB" if total else f"{done / mib:.1f} MiB"


def share_link(client: Client, collection: Collection) -> str:
    """The reader's link: the player of the embed code, or a signed link when private."""
    if collection.status is CollectionStatus.PRIVATE:
        return client.get_private_link(collection.collection_hash)
    found = SRC.search(client.get_embed(collection.collection_hash))
    if not found:
        raise FlipshelfError("the server's embed code has no player link")
    return html.unescape(found.group(1))


@app.command()
def publish(
    files: Annotated[
        list[Path],
        typer.Argument(
            exists=True,
            dir_okay=False,
            readable=True,
            metavar="FILE",
            help="PDF, JPEG or PNG files to publish.",
        ),
    ],
    collection: Annotated[
        str | None,
        typer.Option("--collection", help="Add to this collection instead of making a new one."),
    ] = None,
    title: Annotated[
        str | None,
        typer.Option(
            "--title",
            help="Title of the new collection (with --collection: of the one flipbook added).",
        ),
    ] = None,
    wait: Annotated[
        bool, typer.Option("--wait", help="Wait until every page is converted.")
    ] = False,
    embed: Annotated[
        bool, typer.Option("--embed", help="Print the embed code, not the link.")
    ] = False,
    responsive: Annotated[
        bool, typer.Option("--responsive", help="With --embed: an embed that fills its width.")
    ] = False,
    timeout: Timeout = 600.0,
    as_json: JsonFlag = False,
    url: Url = None,
    api_key: ApiKey = None,
    secret: Secret = None,
    profile: Profile = None,
    signing: SigningOption = None,
) -> None:
    """Upload documents as a new collection (or into --collection), then print its link or,
    with --embed, its embed code."""
    if collection and title and len(files) > 1:
        raise typer.BadParameter("--title with --collection names one flipbook: give one file")
    with _connected(url, api_key, secret, profile, signing) as client:
        with _bars() as bars:
            current = _upload_all(client, bars, files, collection, title)
            if wait:
                current = client.wait_until_complete(
                    current.collection_hash,
                    timeout=timeout,
                    on_progress=_Conversion(bars),
                    raise_on_failure=False,
                )
        _report(client, current, embed, responsive, as_json)


def _upload_all(
    client: Client, bars: Progress, files: Sequence[Path], key: str | None, title: str | None
) -> Collection:
    # With --collection, --title names the one flipbook added; otherwise the new collection.
    book_title = title if key else None
    current: Collection | None = None
    for path in files:
        progress = _upload_bar(bars, path)
        if key is None:
            current = client.create_collection(path, title=title, on_progress=progress)
            key = current.collection_hash
        else:
            current = client.add_flipbook(key, path, title=book_title, on_progress=progress)
    assert current is not None  # typer requires at least one file
    return current


def _report(
    client: Client, collection: Collection, embed: bool, responsive: bool, as_json: bool
) -> None:
    failed = collection.failed_items
    for item in failed:
        reason = escape(f"{item.title}: {item.convert_error}")
        err.print(f"[red]failed:[/red] {reason}", highlight=False)
    answer: dict[str, Any] = {
        "collectionHash": collection.collection_hash,
        "items": [
            {
                "flipbookHash": i.flipbook_hash,
                "title": i.title,
                "convertStatus": i.convert_status.value,
            }
            for i in collection.items
        ],
    }
    if embed:
        key = collection.collection_hash
        answer["embedCode"] = client.get_embed(key, responsive=responsive or None)
    else:
        answer["url"] = share_link(client, collection)
    if as_json:
        typer.echo(json.dumps(answer))
    else:
        typer.echo(answer.get("embedCode") or answer["url"])
    if failed:
        raise typer.Exit(1)


@app.command("download-html")
def download_html(
    collection_hash: Annotated[str, typer.Argument(metavar="HASH", help="The collection's hash.")],
    output: Annotated[
        Path | None,
        typer.Option(
            "-o", "--output", dir_okay=False, help="Where to write the zip (default: HASH.zip)."
        ),
    ] = None,
    timeout: Timeout = 600.0,
    url: Url = None,
    api_key: ApiKey = None,
    secret: Secret = None,
    profile: Profile = None,
    signing: SigningOption = None,
) -> None:
    """Download a collection's offline HTML package (a zip), waiting while it is built."""
    target = output or Path(f"{collection_hash}.zip")
    with _connected(url, api_key, secret, profile, signing) as client, _bars() as bars:
        task = bars.add_task("asking for the package", total=None, amount="")

        def status(state: PackageStatus) -> None:
            if state is PackageStatus.PROCESSING:
                bars.update(task, description="building the package")

        def progress(received: int, total: int | None) -> None:
            amount = _megabytes(received, total)
            bars.update(
                task, description="downloading", completed=received, total=total, amount=amount
            )

        client.download_package(
            collection_hash, target, timeout=timeout, on_progress=progress, on_status=status
        )
    typer.echo(str(target))


def main(args: Sequence[str] | None = None, prog_name: str | None = None) -> None:
    app(args=None if args is None else list(args), prog_name=prog_name)
