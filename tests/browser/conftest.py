"""Browser fixtures: one converted library per test session, Debian's Chromium driven by
Playwright (never `playwright install`), a second origin that embeds the player, and a
screenshot of every scenario under test-artifacts/browser/.

Every test here is marked `browser` and skipped, with the reason, when /usr/bin/chromium is
missing (scripts/install-browser.sh installs it and axe-core)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.browser.library import (
    CHROMIUM,
    CHROMIUM_ARGS,
    REPO,
    Library,
    OtherOrigin,
    start_library,
    stop_library,
)
from tests.e2e.conftest import E2E_SETTINGS, Workers

ARTIFACTS = REPO / "test-artifacts" / "browser"
HERE = Path(__file__).resolve().parent
XSS = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'

# Watches every frame for Content-Security-Policy violations and script errors.
WATCH = """
window.__fs = {csp: [], errors: []};
document.addEventListener('securitypolicyviolation', (e) => {
  window.__fs.csp.push(e.violatedDirective + ' ' + e.blockedURI);
});
window.addEventListener('error', (e) => { window.__fs.errors.push(String(e.message)); });
"""


# tryfirst: the group must be on the item before pytest-xdist's own hook reads it.
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    skip = pytest.mark.skip(
        reason=f"{CHROMIUM} is missing: run scripts/install-browser.sh (Debian's chromium)"
    )
    for item in items:
        if Path(str(item.fspath)).is_relative_to(HERE):
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.xdist_group("browser"))
            if not CHROMIUM.exists():
                item.add_marker(skip)


@pytest.fixture(autouse=True)
def _run_in_the_browser_group(request: pytest.FixtureRequest) -> None:
    """The browser tests share one library and run in order on one pytest-xdist worker; when
    grouping silently stops (pytest 9.2 with pytest-xdist 3.8 did), they race each other."""
    # On a worker, pytest-xdist sets `loadgroup` and then appends "@<groups>" to each node id.
    if getattr(request.config.option, "loadgroup", False):
        assert "browser" in request.node.nodeid.rpartition("@")[2].split("_"), (
            f"{request.node.nodeid} is not in the xdist group 'browser': --dist loadgroup "
            "is not grouping (check the pytest and pytest-xdist versions in uv.lock)"
        )


@dataclass
class Books:
    """The collections the scenarios read, converted once per session."""

    library: Library
    shelf: dict[str, Any]  # two flipbooks: the 5-page text PDF and the 52-page R FAQ
    text: dict[str, Any]  # the 5-page text PDF alone (links, outline, known words)
    private: dict[str, Any]
    hostile: dict[str, Any]  # title and description full of markup
    progressive: dict[str, Any]  # its manifest is rewound by the test to look half-converted
    big: dict[str, Any]  # 1000 pages
    stats: dict[str, Any]  # read once, by the statistics scenario only
    altered: dict[str, Any]  # the 5-page text PDF, whose text index a scenario rewrites


@pytest.fixture(scope="session")
def books(tmp_path_factory: pytest.TempPathFactory, documents: dict[str, Path]) -> Iterator[Books]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing")
    work = tmp_path_factory.mktemp("browser")
    library = start_library(work, E2E_SETTINGS)
    workers = Workers(library.runtime.settings, work)
    workers.start()
    try:
        api = library.api
        text_pdf = documents["text"].read_bytes()
        shelf = api.upload("collection.create", text_pdf, "animals.pdf", title="Two books")
        api.upload(
            "flipbook.add",
            (REPO / "tests/fixtures/documents/R-FAQ.pdf").read_bytes(),
            "R-FAQ.pdf",
            collectionHash=shelf["collectionHash"],
            title="R FAQ",
        )
        text = api.upload("collection.create", text_pdf, "animals.pdf", title="Animals")
        private = api.upload(
            "collection.create",
            text_pdf,
            "secret.pdf",
            title="Private animals",
            collectionStatus="private",
        )
        hostile = api.upload("collection.create", text_pdf, "x.pdf", title=XSS, description=XSS)
        progressive = api.upload("collection.create", text_pdf, "p.pdf", title="Arriving")
        from tests.fixtures.documents.generate import many_pages_pdf

        stats = api.upload("collection.create", text_pdf, "s.pdf", title="Counted")
        altered = api.upload("collection.create", text_pdf, "a.pdf", title="Altered")
        many_pages_pdf(work / "big.pdf", 1000)
        big = api.upload("collection.create", (work / "big.pdf").read_bytes(), "big.pdf")
        done = {
            name: api.wait(c["collectionHash"])
            for name, c in [
                ("shelf", shelf),
                ("text", text),
                ("private", private),
                ("hostile", hostile),
                ("progressive", progressive),
                ("big", big),
                ("stats", stats),
                ("altered", altered),
            ]
        }
        for data in done.values():
            assert all(i["convertStatus"] == "COMPLETE" for i in data["collectionItems"]), data
        yield Books(library, **done)
    finally:
        workers.stop_all()
        stop_library(library)


@pytest.fixture(scope="session")
def other_origin() -> Iterator[OtherOrigin]:
    server = OtherOrigin("127.0.0.2")
    yield server
    server.close()


# Module scope, not session: the sync API keeps an event loop running while it is open, and
# async tests that run later on the same worker could not start theirs.
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing")
    from playwright.sync_api import sync_playwright

    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Shot:
    """Takes the scenario's screenshot(s) into test-artifacts/browser/."""

    def __init__(self, name: str) -> None:
        self.name = name
        ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def __call__(self, page: Any, suffix: str = "") -> Path:
        path = ARTIFACTS / f"{self.name}{'-' + suffix if suffix else ''}.png"
        page.screenshot(path=str(path))
        return path


@pytest.fixture
def shot(request: pytest.FixtureRequest) -> Shot:
    return Shot(request.node.name.removeprefix("test_"))


def new_page(browser: Any, **context_options: Any) -> Any:
    options: dict[str, Any] = {"viewport": {"width": 1200, "height": 800}}
    options.update(context_options)
    context = browser.new_context(**options)
    context.add_init_script(WATCH)
    page = context.new_page()
    page.set_default_timeout(30_000)
    return page


@pytest.fixture
def desktop(browser: Any) -> Iterator[Any]:
    page = new_page(browser)
    yield page
    page.context.close()
