"""The typed surface as a user's type checker sees it: methods made from the action builders keep
their parameters and answer the result types, for Client and AsyncClient alike."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PROBE = """
from flipshelf_client import AsyncClient, Client, Collection, CollectionList


def use(client: Client) -> Collection:
    reveal_type(client.wait_until_complete("h"))
    return client.set_logo("h", "logo.png", filename="logo.png")


async def use_async(client: AsyncClient) -> CollectionList:
    reveal_type(await client.get_stats("h", include_page_stats=True))
    return await client.list_collections(query="x")


def misuse(client: Client) -> None:
    client.get_embed("h", wrong=1)
    client.create_collection(title=3)
    listed: Collection = client.list_collections()
"""


def test_a_type_checker_sees_parameters_and_results(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text(PROBE)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--cache-dir",
            str(tmp_path / "cache"),
            "--no-error-summary",
            str(probe),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    lines = done.stdout.splitlines()
    notes = [line.split("note: ")[1] for line in lines if "note: " in line]
    errors = [line.split("error: ")[1] for line in lines if "error: " in line]
    assert notes == [
        'Revealed type is "flipshelf_client.models.Collection"',
        'Revealed type is "flipshelf_client.models.Stats"',
    ], done.stdout
    assert len(errors) == 3, done.stdout
    assert 'Unexpected keyword argument "wrong"' in errors[0]
    assert '"title"' in errors[1] and "incompatible type" in errors[1]
    assert "CollectionList" in errors[2] and "Collection" in errors[2]
