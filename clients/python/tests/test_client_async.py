"""AsyncClient: the same surface as Client, method for method, and the same behaviour."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

import flipshelf_client as fc
from fakes import FakeClock, FakeServer, async_client_for, collection_wire, envelope, item_wire
from flipshelf_client.methods import async_method, sync_method

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def public(kind: type) -> set[str]:
    return {name for name in dir(kind) if not name.startswith("_")}


def test_both_clients_have_the_same_methods_with_the_same_parameters() -> None:
    sync_names = public(fc.Client) - {"close"}
    async_names = public(fc.AsyncClient) - {"aclose"}
    assert sync_names == async_names
    made = [n for n in sync_names if isinstance(fc.Client.__dict__.get(n), sync_method)]
    assert len(made) == 23  # 20 actions, two waits, and the raw call
    for name in made:
        mine, theirs = fc.Client.__dict__[name], fc.AsyncClient.__dict__[name]
        assert isinstance(theirs, async_method)
        assert mine.build is theirs.build, name
    client = fc.Client("http://x", "k", "s")
    signature = inspect.signature(client.create_collection)
    assert list(signature.parameters)[:3] == ["file", "file_url", "title"]
    assert signature.return_annotation == "Collection"
    assert "Collection" in str(
        inspect.signature(fc.AsyncClient("http://x", "k", "s").get_collection)
    )


async def test_async_calls_sign_upload_and_answer_typed_results(tmp_path: Path) -> None:
    document = tmp_path / "a.pdf"
    document.write_bytes(b"%PDF-1.4 " + b"x" * 600_000)
    seen: list[int] = []
    server = FakeServer([envelope(data=collection_wire("k3v9q2m8xz", item_wire("PROCESSING", 0)))])
    async with async_client_for(server, signing="hmac-sha256") as client:
        created = await client.create_collection(
            document, title="A", on_progress=lambda sent, total: seen.append(sent)
        )
    assert created.items[0].convert_status is fc.ConvertStatus.PROCESSING
    assert server.sent[0].file == document.read_bytes()
    assert server.sent[0].params["signatureMethod"] == "HMAC-SHA256"
    assert seen[-1] == document.stat().st_size


async def test_async_wait_backs_off_on_the_async_sleep() -> None:
    clock = FakeClock()
    server = FakeServer(
        [
            envelope(data=collection_wire("k3v9q2m8xz", item_wire("PROCESSING", 1, 3))),
            envelope(31),
            envelope(data=collection_wire("k3v9q2m8xz", item_wire())),
        ]
    )
    async with async_client_for(server, clock) as client:
        done = await client.wait_until_complete("k3v9q2m8xz")
    assert not done.processing and clock.slept == [1.0, 1.5]


async def test_async_errors_are_the_same_exceptions() -> None:
    async with async_client_for(FakeServer([envelope(46)])) as client:
        with pytest.raises(fc.InvalidCollectionHash):
            await client.get_collection("nope")


async def test_async_download_package(tmp_path: Path) -> None:
    import httpx

    from fakes import Answer, Sent

    def respond(sent: Sent) -> Answer:
        if "action" not in sent.params:
            return httpx.Response(200, content=b"PK zip")
        return envelope(data={"status": "COMPLETE", "resourceUrl": "http://books.test/p/1.zip"})

    async with async_client_for(FakeServer(respond=respond)) as client:
        path = await client.download_package("k3v9q2m8xz", tmp_path / "p.zip")
    assert path.read_bytes() == b"PK zip"
