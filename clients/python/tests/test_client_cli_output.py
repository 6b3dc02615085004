"""The CLI's progress bars show titles and file names as text: rich markup in a title (which
anyone with the key can set) is printed literally, never interpreted."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console

from fakes import collection_wire, item_wire
from flipshelf_client.cli import _bars, _Conversion, _upload_bar
from flipshelf_client.models import Collection


def recording() -> tuple[io.StringIO, Console]:
    out = io.StringIO()
    return out, Console(file=out, force_terminal=True, width=200, color_system=None)


def test_titles_with_markup_are_shown_literally() -> None:
    out, console = recording()
    bars = _bars(console)
    item = {**item_wire("PROCESSING", 2, 9), "flipbookTitle": "[/red][blink]x[link=javascript:1]"}
    with bars:
        _Conversion(bars)(Collection.from_wire(collection_wire("k3v9q2m8xz", item)))
    shown = out.getvalue()
    assert "converting [/red][blink]x[link=javascript:1]" in shown
    assert "2/9 pages" in shown


def test_file_names_with_markup_are_shown_literally(tmp_path: Path) -> None:
    document = tmp_path / "[bold]report[red].pdf"
    document.write_bytes(b"%PDF" * 1000)
    out, console = recording()
    bars = _bars(console)
    with bars:
        _upload_bar(bars, document)(4000, 4000)
    assert "uploading [bold]report[red].pdf" in out.getvalue()
