"""collection.downloadHTML through HTTP: one build per collection version, links that expire."""

from __future__ import annotations

import asyncio
import re
import zipfile
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from starlette.testclient import TestClient

from flipshelf.app import create_app
from flipshelf.db.packages import SqlPackages
from flipshelf.domain.collections import ConvertStatus
from flipshelf.domain.packages import FAILED_RETRY_AFTER
from flipshelf.jobs.package_job import PackageContext, run_package_build
from flipshelf.runtime import Runtime
from tests.books import write_book
from tests.packages.conftest import download_html, local, open_zip, seed_with_books
from tests.support import FixedClock, RecordingQueue, Tenant, seed_collection, signed

SERVER_MADE = re.compile(
    r"index\.html"
    r"|player/[A-Za-z0-9_./-]+"
    r"|data/(collection|[0-9]+)\.js"
    r"|books/[0-9]+/pages/[0-9]{4,7}-(thumb|normal|zoom)\.jpg"
    r"|assets/(logo|background)\.(jpg|png|gif|webp)"
)


def queued(runtime: Runtime) -> list[int]:
    queue = runtime.ports.queue
    assert isinstance(queue, RecordingQueue)
    return queue.packages


def build_all(runtime: Runtime, packaging: PackageContext) -> None:
    for package_id in queued(runtime):
        run_package_build(packaging, package_id)


def complete_url(
    client: TestClient, tenant: Tenant, runtime: Runtime, packaging: PackageContext, hash_: str
) -> str:
    assert download_html(client, tenant, hash_)["data"] == {"status": "PROCESSING"}
    build_all(runtime, packaging)
    answer = download_html(client, tenant, hash_)
    assert answer["data"]["status"] == "COMPLETE", answer
    url: str = answer["data"]["resourceUrl"]
    return url


def test_the_first_call_queues_one_build_and_answers_processing(
    client: TestClient, tenant: Tenant, runtime: Runtime
) -> None:
    collection = seed_with_books(runtime, tenant)
    for _ in range(3):
        answer = download_html(client, tenant, collection.hash)
        assert answer == {"code": 20, "status": "OK", "data": {"status": "PROCESSING"}}
    assert len(queued(runtime)) == 1


def test_a_built_package_answers_complete_with_a_fresh_link_that_downloads_the_zip(
    client: TestClient,
    tenant: Tenant,
    runtime: Runtime,
    packaging: PackageContext,
    clock: FixedClock,
) -> None:
    collection = seed_with_books(runtime, tenant, title="Spring catalogue")
    url = complete_url(client, tenant, runtime, packaging, collection.hash)
    parts = urlsplit(url)
    assert url.startswith("http://books.test/packages/") and parts.path.endswith(".zip")
    query = parse_qs(parts.query)
    assert set(query) == {"v", "exp", "sig"}
    assert int(query["exp"][0]) == int((clock.now() + timedelta(seconds=60)).timestamp())
    clock.advance(seconds=5)
    again = download_html(client, tenant, collection.hash)["data"]["resourceUrl"]
    assert again != url  # every call issues a fresh link; the package is the same
    assert urlsplit(again).path == parts.path
    response = client.get(local(url))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    assert response.headers["content-disposition"] == (
        f'attachment; filename="spring-catalogue-{collection.hash}.zip"'
    )
    with open_zip(response.content) as package:
        assert package.testzip() is None
        names = package.namelist()
        assert all(SERVER_MADE.fullmatch(name) for name in names), names
        assert len(names) == len(set(names))
        assert {"index.html", "data/collection.js", "data/1.js", "data/2.js"} <= set(names)
        images = [info for info in package.infolist() if info.filename.endswith(".jpg")]
        assert len(images) == 2 * 12 * 2  # two books, twelve pages, thumb and normal
        assert all(info.compress_type == zipfile.ZIP_STORED for info in images)
        scripts = [package.getinfo(name) for name in names if name.endswith((".js", ".html"))]
        assert all(info.compress_type == zipfile.ZIP_DEFLATED for info in scripts)
        # The page loads only files of the package, by relative paths: nothing from a server.
        page = package.read("index.html").decode()
        loaded = re.findall(r'(?:src|href)="([^"#][^"]*)"', page)
        assert "player/player/bundle.js" in loaded and "data/2.js" in loaded
        assert "player/player/player.js" not in names  # in the bundle, not twice
        assert set(loaded) <= set(names), set(loaded) - set(names)


def test_downloads_answer_range_requests(
    client: TestClient, tenant: Tenant, runtime: Runtime, packaging: PackageContext
) -> None:
    collection = seed_with_books(runtime, tenant)
    url = local(complete_url(client, tenant, runtime, packaging, collection.hash))
    whole = client.get(url).content
    part = client.get(url, headers={"Range": "bytes=10-109"})
    assert part.status_code == 206
    assert part.content == whole[10:110]
    assert part.headers["content-range"] == f"bytes 10-109/{len(whole)}"


def test_a_link_works_until_its_minute_is_over_then_answers_410(
    client: TestClient,
    tenant: Tenant,
    runtime: Runtime,
    packaging: PackageContext,
    clock: FixedClock,
) -> None:
    collection = seed_with_books(runtime, tenant)
    url = local(complete_url(client, tenant, runtime, packaging, collection.hash))
    clock.advance(seconds=59)
    assert client.get(url).status_code == 200
    clock.advance(seconds=1)
    late = client.get(url)
    assert late.status_code == 410
    assert "expired" in late.text
    assert late.headers["cache-control"] == "private, no-store"


def test_tampered_and_foreign_links_answer_403(
    client: TestClient, tenant: Tenant, runtime: Runtime, packaging: PackageContext
) -> None:
    first = seed_with_books(runtime, tenant)
    url = local(complete_url(client, tenant, runtime, packaging, first.hash))
    second = seed_with_books(runtime, tenant, items=1)
    other = local(complete_url(client, tenant, runtime, packaging, second.hash))
    path, query = url.split("?")
    other_path, other_query = other.split("?")
    values = parse_qs(query)
    exp, sig, version = values["exp"][0], values["sig"][0], values["v"][0]
    later = str(int(exp) + 3600)
    flipped = ("0" if sig[0] != "0" else "1") + sig[1:]
    for bad in (
        f"{path}?v={version}&exp={later}&sig={sig}",  # stretched expiry
        f"{path}?v={version}&exp={exp}&sig={flipped}",  # tampered signature
        f"{path}?v={int(version) + 1}&exp={exp}&sig={sig}",  # another version
        f"{other_path}?{query}",  # one package's signature on another
        f"{path}?v={version}&exp={exp}",  # no signature
        f"{path}?v={version}&exp=soon&sig={sig}",
        f"{path}",
    ):
        response = client.get(bad)
        assert response.status_code == 403, bad
        assert "not valid" in response.text
    assert client.get(f"{other_path}?{other_query}").status_code == 200
    assert client.get("/packages/x.zip").status_code == 404
    assert client.get("/packages/0.zip").status_code == 404


def test_a_link_signed_with_another_server_key_is_refused(
    client: TestClient, tenant: Tenant, runtime: Runtime, packaging: PackageContext
) -> None:
    from flipshelf.security.package_links import PackageLinks

    collection = seed_with_books(runtime, tenant, items=1)
    url = complete_url(client, tenant, runtime, packaging, collection.hash)
    package = SqlPackages(runtime.db, 3).get(int(urlsplit(url).path.split("/")[-1][:-4]))
    assert package is not None
    foreign = PackageLinks.make("http://books.test", b"k" * 32, timedelta(minutes=1))
    assert client.get(local(foreign.url(package, runtime.ports.clock.now()))).status_code == 403


def test_38_while_an_item_is_processing_and_the_usual_refusals(
    client: TestClient, tenant: Tenant, runtime: Runtime
) -> None:
    busy = seed_collection(
        runtime, tenant, items=(ConvertStatus.COMPLETE, ConvertStatus.PROCESSING)
    )
    assert download_html(client, tenant, busy.hash)["code"] == 38
    assert queued(runtime) == []
    missing = client.get("/v1/", params=signed(tenant.pair, "collection.downloadHTML"))
    assert missing.json()["code"] == 30
    assert download_html(client, tenant, "NOT-A-HASH")["code"] == 46
    assert download_html(client, tenant, "abcdefghij")["code"] == 46
    from tests.support import new_tenant

    stranger = new_tenant(runtime, "stranger")
    assert download_html(client, stranger, busy.hash)["code"] == 43
    mine = seed_with_books(runtime, tenant, items=1)
    client.get(
        "/v1/", params=signed(tenant.pair, "collection.deleteCollection", collectionHash=mine.hash)
    )
    assert download_html(client, tenant, mine.hash)["code"] == 43


def test_an_unchanged_collection_reuses_its_package_and_any_change_builds_a_new_one(
    client: TestClient, tenant: Tenant, runtime: Runtime, packaging: PackageContext
) -> None:
    collection = seed_with_books(runtime, tenant)
    first = urlsplit(complete_url(client, tenant, runtime, packaging, collection.hash)).path
    again = download_html(client, tenant, collection.hash)["data"]
    assert urlsplit(again["resourceUrl"]).path == first
    assert len(queued(runtime)) == 1
    changed = client.get(
        "/v1/",
        params=signed(
            tenant.pair, "collection.update", collectionHash=collection.hash, title="Autumn"
        ),
    ).json()
    assert changed["code"] == 20
    assert download_html(client, tenant, collection.hash)["data"] == {"status": "PROCESSING"}
    assert len(queued(runtime)) == 2
    build_all(runtime, packaging)
    answer = download_html(client, tenant, collection.hash)["data"]
    assert answer["status"] == "COMPLETE"
    assert urlsplit(answer["resourceUrl"]).path != first
    response = client.get(local(answer["resourceUrl"]))
    assert f'filename="autumn-{collection.hash}.zip"' in response.headers["content-disposition"]
    # Deleting an item is a change too.
    deleted = client.get(
        "/v1/",
        params=signed(
            tenant.pair,
            "flipbook.delete",
            collectionHash=collection.hash,
            flipbookHash=collection.items[0].hash,
        ),
    ).json()
    assert deleted["code"] == 20
    assert download_html(client, tenant, collection.hash)["data"] == {"status": "PROCESSING"}
    assert len(queued(runtime)) == 3


def test_fifty_simultaneous_calls_start_one_build_and_all_see_the_same_result(
    runtime: Runtime, tenant: Tenant, packaging: PackageContext
) -> None:
    collection = seed_with_books(runtime, tenant)
    app = create_app(runtime)

    async def fifty() -> list[dict[str, Any]]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://books.test") as http:

            async def call(n: int) -> dict[str, Any]:
                params = signed(
                    tenant.pair, "collection.downloadHTML", collectionHash=collection.hash
                )
                response = await http.get("/v1/", params=params)
                answer: dict[str, Any] = response.json()
                return answer

            return await asyncio.gather(*(call(n) for n in range(50)))

    answers = asyncio.run(fifty())
    assert [answer["data"] for answer in answers] == [{"status": "PROCESSING"}] * 50
    assert len(queued(runtime)) == 1
    build_all(runtime, packaging)
    answers = asyncio.run(fifty())
    assert {answer["data"]["status"] for answer in answers} == {"COMPLETE"}
    assert len({urlsplit(answer["data"]["resourceUrl"]).path for answer in answers}) == 1
    assert len(queued(runtime)) == 1


def test_a_failed_build_answers_failed_then_a_later_call_builds_it_again(
    client: TestClient,
    tenant: Tenant,
    runtime: Runtime,
    packaging: PackageContext,
    clock: FixedClock,
) -> None:
    collection = seed_with_books(runtime, tenant, items=1)
    assert download_html(client, tenant, collection.hash)["data"]["status"] == "PROCESSING"
    (package_id,) = queued(runtime)
    # A page file is missing: every attempt of the round fails.
    runtime.ports.files.delete(f"flipbooks/{collection.items[0].hash}/book/pages/0003-normal.jpg")
    from flipshelf.jobs.outcomes import RetryLater

    for _ in range(packaging.attempts):
        try:
            run_package_build(packaging, package_id)
        except RetryLater as retry:
            clock.advance(seconds=retry.delay)
    assert download_html(client, tenant, collection.hash)["data"] == {"status": "FAILED"}
    clock.advance(seconds=FAILED_RETRY_AFTER.total_seconds() - 1)
    assert download_html(client, tenant, collection.hash)["data"] == {"status": "FAILED"}
    assert queued(runtime) == [package_id]
    clock.advance(seconds=1)
    # The fault is gone (a transient one): the next call builds the same version again.
    from tests.books import write_book

    write_book(runtime.ports.files, collection.items[0].hash, 12)
    assert download_html(client, tenant, collection.hash)["data"] == {"status": "PROCESSING"}
    assert queued(runtime) == [package_id, package_id]
    assert run_package_build(packaging, package_id) is True
    assert download_html(client, tenant, collection.hash)["data"]["status"] == "COMPLETE"


def test_titles_and_descriptions_with_markup_are_text_in_the_package(
    client: TestClient, tenant: Tenant, runtime: Runtime, packaging: PackageContext
) -> None:
    title = '</script><script>alert("t")</script>&amp;\u2028'
    description = '<img src=x onerror=alert(1)> "quoted" & \u2029'
    collection = seed_with_books(runtime, tenant, title=title, description=description)
    url = complete_url(client, tenant, runtime, packaging, collection.hash)
    with open_zip(client.get(local(url)).content) as package:
        for name in package.namelist():
            if name.startswith("data/"):
                script = package.read(name).decode()
                assert not set(script) & {"<", ">", "&", "\u2028", "\u2029"}, name
        config = package.read("data/collection.js").decode()
        assert "\\u003c/script\\u003e\\u003cscript\\u003ealert" in config
        page = package.read("index.html").decode()
        assert "<script>alert" not in page and "<img src=x" not in page
        assert "&lt;/script&gt;&lt;script&gt;alert" in page


def download_lean(client: TestClient, tenant: Tenant, collection_hash: str) -> dict[str, Any]:
    params = signed(
        tenant.pair, "collection.downloadHTML", collectionHash=collection_hash, zoom="false"
    )
    body: dict[str, Any] = client.get("/v1/", params=params).json()
    return body


def test_the_lean_package_leaves_zoom_images_out_and_is_built_once_per_version(
    client: TestClient, tenant: Tenant, runtime: Runtime, packaging: PackageContext
) -> None:
    collection = seed_collection(runtime, tenant, title="Spring", items=(ConvertStatus.COMPLETE,))
    write_book(runtime.ports.files, collection.items[0].hash, 12, sizes=("thumb", "normal", "zoom"))
    full = local(complete_url(client, tenant, runtime, packaging, collection.hash))
    assert download_lean(client, tenant, collection.hash)["data"] == {"status": "PROCESSING"}
    assert download_lean(client, tenant, collection.hash)["data"] == {"status": "PROCESSING"}
    assert len(queued(runtime)) == 2  # one build for each variant of this version
    build_all(runtime, packaging)
    answer = download_lean(client, tenant, collection.hash)["data"]
    assert answer["status"] == "COMPLETE"
    lean = local(answer["resourceUrl"])
    assert urlsplit(lean).path != urlsplit(full).path  # a package of its own
    whole, small = client.get(full), client.get(lean)
    assert small.headers["content-disposition"] == (
        f'attachment; filename="spring-{collection.hash}-lean.zip"'
    )
    with open_zip(whole.content) as package:
        assert sum(name.endswith("-zoom.jpg") for name in package.namelist()) == 12
    with open_zip(small.content) as package:
        names = package.namelist()
        assert not any(name.endswith("-zoom.jpg") for name in names)
        assert sum(name.endswith("-normal.jpg") for name in names) == 12
        data = package.read("data/1.js").decode()
        assert "-zoom.jpg" not in data and '"zoomReady":0' in data  # the player zooms normal
    assert len(small.content) < len(whole.content)
    # Asked again, the full package is still the same one (its own row).
    again = download_html(client, tenant, collection.hash)["data"]["resourceUrl"]
    assert urlsplit(local(again)).path == urlsplit(full).path


def test_a_bad_zoom_flag_is_refused(client: TestClient, tenant: Tenant, runtime: Runtime) -> None:
    collection = seed_with_books(runtime, tenant)
    params = signed(
        tenant.pair, "collection.downloadHTML", collectionHash=collection.hash, zoom="no"
    )
    assert client.get("/v1/", params=params).json()["code"] == 40
    assert queued(runtime) == []
