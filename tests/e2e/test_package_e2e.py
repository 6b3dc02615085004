"""The offline package end to end: upload and convert in real workers, ask collection.downloadHTML
until COMPLETE, download the zip, unzip it; and open it in headless Chromium from file://."""

from __future__ import annotations

import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from flipshelf.runtime import Runtime
from tests.api.test_uploads import upload
from tests.e2e.conftest import Workers, all_finished, poll
from tests.support import Tenant, signed

E2E = tuple[Runtime, TestClient, Tenant, Workers]
TITLE = '<script>alert("title")</script> Field guide'
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def download_html_until_done(
    client: TestClient, tenant: Tenant, collection_hash: str, timeout: float = 120.0
) -> dict[str, Any]:
    """Polls as the seed tells clients to, a few times a second here."""
    deadline = time.monotonic() + timeout
    seen = []
    while True:
        params = signed(tenant.pair, "collection.downloadHTML", collectionHash=collection_hash)
        answer: dict[str, Any] = client.get("/v1/", params=params).json()
        assert answer["code"] == 20, answer
        seen.append(answer["data"]["status"])
        if answer["data"]["status"] != "PROCESSING":
            assert seen[0] == "PROCESSING"
            return dict(answer["data"])
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for the package: {answer}")
        time.sleep(0.2)


def build_package(e2e: E2E, documents: dict[str, Path], target: Path) -> Path:
    """Makes a collection (a 5-page PDF whose page 3 says "chinchilla", a PNG, a logo), builds
    its package through the API and real workers, and unzips it into `target`."""
    _runtime, client, tenant, workers = e2e
    workers.start()
    created = upload(
        client,
        tenant,
        "collection.create",
        documents["text"].read_bytes(),
        title=TITLE,
        description="<b>not bold</b> & friends",
    )
    assert created["code"] == 20, created
    collection_hash = created["data"]["collectionHash"]  # type: ignore[index]
    added = upload(
        client,
        tenant,
        "flipbook.add",
        documents["png"].read_bytes(),
        "p.png",
        collectionHash=collection_hash,
        title="A picture",
    )
    assert added["code"] == 20, added
    logo = upload(
        client,
        tenant,
        "collection.setLogo",
        documents["png"].read_bytes(),
        "l.png",
        collectionHash=collection_hash,
    )
    assert logo["code"] == 20, logo
    data = poll(client, tenant, collection_hash, all_finished)
    assert {item["convertStatus"] for item in data["collectionItems"]} == {"COMPLETE"}
    answer = download_html_until_done(client, tenant, collection_hash)
    assert answer["status"] == "COMPLETE", answer
    response = client.get(answer["resourceUrl"].removeprefix("http://books.test"))
    assert response.status_code == 200
    archive = target.with_suffix(".zip")
    archive.write_bytes(response.content)
    with zipfile.ZipFile(archive) as package:
        assert package.testzip() is None
        package.extractall(target)
    return target


def test_a_collection_becomes_a_package_through_the_api_and_real_workers(
    e2e: E2E, documents: dict[str, Path], tmp_path: Path
) -> None:
    unzipped = build_package(e2e, documents, tmp_path / "package")
    with zipfile.ZipFile(tmp_path / "package.zip") as package:
        names = package.namelist()
        for info in package.infolist():
            if info.filename.endswith((".jpg", ".png")):
                assert info.compress_type == zipfile.ZIP_STORED, info.filename
    assert {"index.html", "data/collection.js", "data/1.js", "data/2.js", "assets/logo.png"} <= set(
        names
    )
    assert "books/1/pages/0005-normal.jpg" in names and "books/2/pages/0001-thumb.jpg" in names
    assert not any("guide" in name.lower() or "script" in name.lower() for name in names)
    book = (unzipped / "data" / "1.js").read_text()
    assert "chinchilla" in book
    page = (unzipped / "index.html").read_text()
    assert "<script>alert" not in page


def _chromium_missing() -> bool:
    return not Path("/usr/bin/chromium").exists()


@pytest.mark.browser
@pytest.mark.skipif(_chromium_missing(), reason="needs /usr/bin/chromium")
def test_the_unzipped_package_opens_from_disk_with_no_network(
    e2e: E2E, documents: dict[str, Path], tmp_path: Path
) -> None:
    from playwright.sync_api import Route, sync_playwright

    unzipped = build_package(e2e, documents, tmp_path / "package")
    attempted: list[str] = []

    def refuse(route: Route) -> None:
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            attempted.append(route.request.url)
            route.abort()

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 800})
            context.route("**/*", refuse)
            page = context.new_page()
            problems: list[str] = []
            page.on("pageerror", lambda error: problems.append(f"error: {error}"))
            page.on("dialog", lambda dialog: (problems.append("dialog"), dialog.dismiss()))
            page.on("requestfailed", lambda request: problems.append(f"failed: {request.url}"))
            page.goto((unzipped / "index.html").as_uri())
            exercise_player(page)
            page.screenshot(path=str(ARTIFACTS / "package-offline-second-book.png"))
            assert problems == []
        finally:
            browser.close()
    assert attempted == []


def _loaded(page: Any, selector: str) -> None:
    """Waits until the image(s) matching `selector` have loaded, from the unzipped files."""
    page.wait_for_function(
        """(selector) => {
            const images = [...document.querySelectorAll(selector)];
            return images.length > 0 && images.every((img) => img.complete && img.naturalWidth > 0);
        }""",
        arg=selector,
        timeout=15_000,
    )


def _pages(page: Any) -> list[int]:
    shown = page.evaluate("document.documentElement.dataset.pages || ''")
    return [int(number) for number in shown.split(",") if number]


def exercise_player(page: Any) -> None:
    """Through the widget's own player, from file://: the first page paints, pages turn, search
    finds a word of page 3 and turns there, the thumbnails, contents, zoom and the second
    flipbook work, the logo shows, and the hostile title is text."""
    page.wait_for_function("document.documentElement.dataset.painted === 'true'", timeout=15_000)
    assert _pages(page)[0] == 1
    _loaded(page, "#fs-logo")
    assert page.inner_text("#fs-title") == TITLE
    assert page.evaluate("document.querySelectorAll('script:not([src]):not([type])').length") == 0

    page.click('.fs-toolbar [data-action="next"]')
    page.wait_for_function("(document.documentElement.dataset.pages || '').split(',')[0] > '1'")
    turned = _pages(page)
    assert turned[0] >= 2, turned
    _loaded(page, ".fs-page-img")

    page.click('[data-panel="search"]')
    page.fill("#fs-search-input", "chinchilla")
    page.press("#fs-search-input", "Enter")
    page.wait_for_selector("#fs-search-results li button", timeout=15_000)
    results = page.inner_text("#fs-search-results")
    assert "Page 3" in results and "chinchilla" in results.lower(), results
    page.click('#fs-search-results button[data-page="3"]')
    page.wait_for_function(
        "(document.documentElement.dataset.pages || '').split(',').includes('3')"
    )
    _loaded(page, ".fs-page-img")
    page.screenshot(path=str(ARTIFACTS / "package-offline.png"))  # page 3, found by search

    page.click('[data-panel="thumbs"]')
    _loaded(page, "#fs-thumbs img")
    page.click('[data-panel="contents"]')
    page.wait_for_selector("#fs-contents button", timeout=15_000)

    page.click('.fs-toolbar [data-action="zoom-in"]')
    page.wait_for_selector("#fs-zoom:not([hidden])")
    _loaded(page, "#fs-zoom-content img")
    page.keyboard.press("Escape")

    page.click('.fs-toolbar [data-panel="books"]')  # the shelf is a panel
    page.click('#fs-shelf-list button[data-book="2"]')
    page.wait_for_function("document.getElementById('fs-book-title').textContent === 'A picture'")
    _loaded(page, ".fs-page-img")
