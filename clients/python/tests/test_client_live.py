"""Every action of docs/api.md through the client against a real `flipshelf serve`: real PDFs
uploaded (from a path, a file object and a fileUrl), converted by its workers, waited for, and
the offline package downloaded and unzipped."""

from __future__ import annotations

import functools
import io
import json
import threading
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

import flipshelf_client as fc
from live_server import LiveServer
from samples import png

WAIT = 180.0  # seconds: generous, the machine is shared; a deadline, never a sleep


def test_a_pdf_from_a_path_converts_and_its_package_downloads(
    live: LiveServer, documents: dict[str, Path], tmp_path: Path
) -> None:
    sent: list[tuple[int, int | None]] = []
    seen: list[tuple[int, int | None]] = []
    with live.client() as client:
        created = client.create_collection(
            documents["R-FAQ"],
            title="R FAQ",
            description="The R FAQ",
            on_progress=lambda done, total: sent.append((done, total)),
        )
        size = documents["R-FAQ"].stat().st_size
        assert sent[0] == (0, size) and sent[-1] == (size, size)
        assert created.title == "R FAQ" and created.description == "The R FAQ"
        assert created.status is fc.CollectionStatus.PUBLISHED
        [item] = created.items
        assert item.convert_status is fc.ConvertStatus.PROCESSING

        done = client.wait_until_complete(
            created.collection_hash,
            timeout=WAIT,
            on_progress=lambda c: seen.append((c.items[0].pages_ready, c.items[0].page_count)),
        )
        assert done.items[0].convert_status is fc.ConvertStatus.COMPLETE
        assert done.items[0].page_count == done.items[0].pages_ready == 52
        assert seen[-1] == (52, 52)
        assert [ready for ready, _ in seen] == sorted(ready for ready, _ in seen)
        assert done.thumbnail_url and done.thumbnail_url.startswith(live.url)
        assert client.get_collection(created.collection_hash) == done

        received: list[tuple[int, int | None]] = []
        statuses: list[fc.PackageStatus] = []
        target = tmp_path / "r-faq.zip"
        path = client.download_package(
            created.collection_hash,
            target,
            timeout=WAIT,
            on_progress=lambda got, total: received.append((got, total)),
            on_status=statuses.append,
        )
    assert path == target and statuses[-1] is fc.PackageStatus.COMPLETE
    assert received[-1] == (target.stat().st_size, target.stat().st_size)
    with zipfile.ZipFile(target) as package:
        assert package.testzip() is None
        names = package.namelist()
    assert "index.html" in names and "books/1/pages/0052-normal.jpg" in names
    assert [p.name for p in tmp_path.iterdir()] == ["r-faq.zip"]  # no partial file left


@pytest.fixture
def converted(live: LiveServer, documents: dict[str, Path]) -> Iterator[fc.Collection]:
    """A collection of one small converted PDF, for the tests of everything else."""
    with live.client() as client:
        created = client.create_collection(documents["binarytree-ex1"], title="Trees")
        yield client.wait_until_complete(created.collection_hash, timeout=WAIT)


def test_edits_lists_embeds_and_links(live: LiveServer, converted: fc.Collection) -> None:
    key = converted.collection_hash
    with live.client() as client:
        updated = client.update_collection(
            key,
            title="Trees & forests",
            description="",
            width=800,
            height=600,
            status="unlisted",
            rtl=True,
        )
        assert (updated.title, updated.width, updated.height) == ("Trees & forests", 800, 600)
        assert updated.status is fc.CollectionStatus.UNLISTED and updated.rtl is True

        listing = client.list_collections(query="& forests", status=fc.CollectionStatus.UNLISTED)
        assert [c.collection_hash for c in listing.collections] == [key]
        assert listing.collection_count == 1
        window = client.list_collections(start=0, stop=1, order_by="date", order_mode="desc")
        assert len(window.collections) == 1 and window.collection_count >= 1

        embed = client.get_embed(key, responsive=True, start_page=1, width=400, height=300)
        assert f"/widget/{key}" in embed and "<iframe" in embed
        link = client.get_private_link(key, expires_in=3600)
        assert link.startswith(f"{live.url}/widget/{key}?") and "sig=" in link

        package = client.download_html(key)  # the first call queues the build
        assert package.status in (fc.PackageStatus.PROCESSING, fc.PackageStatus.COMPLETE)
        assert (package.resource_url is None) == (package.status is fc.PackageStatus.PROCESSING)


def test_statistics(live: LiveServer, converted: fc.Collection) -> None:
    today = datetime.now(UTC).date()
    with live.client() as client:
        stats = client.get_stats(
            converted.collection_hash, start_date=today, end_date=today, include_page_stats=True
        )
        assert stats.impressions == 0 and stats.pages is not None
        assert client.get_stats(converted.collection_hash).pages is None
        user = client.get_user_stats()
    assert user.api_uploads_left < 1000 and user.views >= 0


def test_logo_background_and_flipbooks(
    live: LiveServer, converted: fc.Collection, documents: dict[str, Path]
) -> None:
    key = converted.collection_hash
    with live.client() as client:
        with_logo = client.set_logo(key, io.BytesIO(png()), filename="logo.png")
        assert with_logo.logo_url and with_logo.logo_url.startswith(live.url)
        with_background = client.set_background_image(
            key, io.BytesIO(png(rgb=(0, 90, 0))), filename="bg.png"
        )
        assert with_background.background_image_url
        assert client.delete_logo(key).logo_url is None

        with documents["lapdf-quartic"].open("rb") as stream:
            added = client.add_flipbook(key, stream, title="Quartic")
        assert [i.title for i in added.items] == ["Trees", "Quartic"]
        done = client.wait_until_complete(key, timeout=WAIT)
        assert [i.convert_status for i in done.items] == [fc.ConvertStatus.COMPLETE] * 2

        client.delete_flipbook(key, done.items[0].flipbook_hash)
        with pytest.raises(fc.LastFlipbook):
            client.delete_flipbook(key, done.items[1].flipbook_hash)
        with pytest.raises(fc.BadRequest):
            client.delete_flipbook(key, "0" * 32)

        client.delete_collection(key)
        with pytest.raises(fc.Forbidden) as gone:
            client.get_collection(key)
    assert gone.value.code == 43 and isinstance(gone.value, fc.NotFound)
    assert gone.value.request_id and len(gone.value.request_id) == 16


class FileServer:
    """A plain web server on 127.0.0.1 that the flipshelf server fetches fileUrls from."""

    def __init__(self, directory: Path) -> None:
        class Quiet(SimpleHTTPRequestHandler):
            def log_message(self, *_args: object) -> None:
                return

        handler = functools.partial(Quiet, directory=str(directory))
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def files(tmp_path: Path, documents: dict[str, Path]) -> Iterator[FileServer]:
    shelf = tmp_path / "shelf"
    shelf.mkdir()
    (shelf / "quartic.pdf").write_bytes(documents["lapdf-quartic"].read_bytes())
    (shelf / "logo.png").write_bytes(png())
    server = FileServer(shelf)
    yield server
    server.close()


def test_file_url_variants(live: LiveServer, files: FileServer) -> None:
    with live.client() as client:
        created = client.create_collection(file_url=f"{files.url}/quartic.pdf")
        key = created.collection_hash
        assert created.title == "quartic"
        added = client.add_flipbook(key, file_url=f"{files.url}/quartic.pdf", title="Again")
        assert len(added.items) == 2
        assert client.set_logo(key, file_url=f"{files.url}/logo.png").logo_url
        assert client.set_background_image(
            key, file_url=f"{files.url}/logo.png"
        ).background_image_url
        done = client.wait_until_complete(key, timeout=WAIT)
        assert all(i.convert_status is fc.ConvertStatus.COMPLETE for i in done.items)
        with pytest.raises(fc.BadRequest):
            client.create_collection(file_url=f"{files.url}/missing.pdf")


def test_refusals_are_typed_exceptions(live: LiveServer, tmp_path: Path) -> None:
    with live.client(secret="not-the-secret") as wrong, pytest.raises(fc.InvalidSignature):
        wrong.get_user_stats()
    with live.client(api_key="NO-SUCH-KEY") as unknown, pytest.raises(fc.InvalidCredentials):
        unknown.get_user_stats()
    text = tmp_path / "notes.pdf"
    text.write_text("not a PDF at all")
    with live.client() as client:
        with pytest.raises(fc.InvalidFileFormat) as refused:
            client.create_collection(text)
        assert isinstance(refused.value, fc.UploadRejected) and refused.value.code == 45
        with pytest.raises(fc.InvalidCollectionHash):
            client.get_collection("zzzzzzzzzz")
        with pytest.raises(fc.BadRequest):
            client.list_collections(order_by="size")
        with pytest.raises(fc.InvalidAction):
            client.call("collection.noSuchThing", {})


def test_a_key_in_strict_mode_needs_md5_strict(live: LiveServer) -> None:
    api_key, secret = live.new_account("strict-client")
    live.cli("accounts", "strict", api_key)
    with live.client(api_key, secret) as plain, pytest.raises(fc.InvalidSignature):
        plain.get_user_stats()
    with live.client(api_key, secret, signing="md5-strict") as strict:
        for _ in range(3):  # a fresh nonce each call
            assert strict.get_user_stats().api_uploads_left == 1000


def test_hmac_signing_against_the_real_server(live: LiveServer) -> None:
    with live.client(signing="hmac-sha256") as client:
        client.list_collections(query="Frühling & Co/2025 ~50% +1")


def test_a_key_made_with_create_strict_signs_with_hmac_only(
    live: LiveServer, documents: dict[str, Path]
) -> None:
    pair = json.loads(live.cli("accounts", "create", "hmac-client", "--strict", "--json"))
    api_key, secret = pair["apiKey"], pair["secret"]
    for signing in ("md5", "md5-strict"):
        with (
            live.client(api_key, secret, signing=signing) as md5,
            pytest.raises(fc.InvalidSignature),
        ):
            md5.get_user_stats()
    with live.client(api_key, secret, signing="hmac-sha256") as client:
        made = client.create_collection(documents["binarytree-ex1"], title="Signed & sealed")
        assert made.title == "Signed & sealed"
        for _ in range(3):  # a fresh nonce each call
            assert client.get_collection(made.collection_hash).title == "Signed & sealed"


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_the_async_client_publishes_and_downloads(
    live: LiveServer, documents: dict[str, Path], tmp_path: Path, anyio_backend: str
) -> None:
    async with fc.AsyncClient(live.url, live.api_key, live.secret, trust_env=False) as client:
        created = await client.create_collection(documents["binarytree-ex1"], title="Async")
        done = await client.wait_until_complete(created.collection_hash, timeout=WAIT)
        assert done.items[0].convert_status is fc.ConvertStatus.COMPLETE
        embed = await client.get_embed(created.collection_hash)
        assert created.collection_hash in embed
        path = await client.download_package(
            created.collection_hash, tmp_path / "async.zip", timeout=WAIT
        )
    with zipfile.ZipFile(path) as package:
        assert "index.html" in package.namelist()
