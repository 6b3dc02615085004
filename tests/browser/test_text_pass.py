"""A book whose pages are readable before their text is read (manifest version 3): in Chromium the
pages show at once, and their links, search and text arrive with the second pass, on the same
page image (no reload, no flash); so do the thumbnails of pages after the first (version 4)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from tests.browser.conftest import Books, Shot
from tests.browser.helpers import assert_clean, book_of, open_widget

LINK = '.fs-page[data-page="1"] a.fs-link'


def zoomed(path: Path, timeout: float = 120) -> str:
    """The manifest once its zoom pass is done: a worker rewrites it until then, and would undo
    a test's rewinding of it."""
    deadline = time.monotonic() + timeout
    while True:
        text = path.read_text()
        manifest = json.loads(text)
        if manifest["zoomReady"] == manifest["pageCount"]:
            return text
        assert time.monotonic() < deadline, f"no zoom pass within {timeout:.0f} s"
        time.sleep(0.2)


def rewound(complete: str, ready: int, keys: tuple[str, ...], **counts: int) -> str:
    """A complete manifest made to look as if a pass were under way: `keys` dropped from the
    pages after `ready`, `counts` set, no zoom images or text index yet."""
    manifest = json.loads(complete)
    manifest.update(zoomReady=0, complete=False, textIndex=None, **counts)
    for page in manifest["pages"][ready:]:
        for key in keys:
            page.pop(key, None)
    return json.dumps(manifest)


def test_links_and_search_arrive_with_the_text_on_the_page_already_shown(
    books: Books, desktop: Any, shot: Shot
) -> None:
    path = books.library.manifest_path(book_of(books.progressive))
    complete = zoomed(path)
    assert json.loads(complete)["version"] == 4
    path.write_text(rewound(complete, 0, ("text", "links", "words"), textReady=0))
    try:
        frame = open_widget(desktop, books, books.progressive)
        assert desktop.locator(LINK).count() == 0
        assert "ready)" not in desktop.locator("#fs-status").inner_text()  # every page is
        desktop.locator('[data-panel="text"]').click()
        assert "being prepared" in desktop.locator("#fs-text").inner_text()
        frame.evaluate(
            "document.querySelector('.fs-page[data-page=\"1\"] img').dataset.kept = 'yes'"
        )
        shot(desktop, "images-only")
        path.write_text(complete)  # the text pass finishes
        desktop.locator(LINK).first.wait_for()
        assert desktop.locator(f"{LINK}[data-page='3']").count() == 1
        # The links joined the image already shown: it was not replaced.
        kept = desktop.locator('.fs-page[data-page="1"] img[data-kept="yes"]')
        assert kept.count() == 1
        desktop.wait_for_function(
            "() => !document.getElementById('fs-text').textContent.includes('being prepared')"
        )
        desktop.locator('[data-panel="search"]').click()
        desktop.locator("#fs-search-input").fill("dromedary")
        desktop.keyboard.press("Enter")
        desktop.locator("#fs-search-results button").first.wait_for()
        assert "Page 4" in desktop.locator("#fs-search-results button").first.inner_text()
        shot(desktop)
        assert_clean(frame)
    finally:
        path.write_text(complete)


def test_thumbnails_arrive_with_the_text(books: Books, desktop: Any, shot: Shot) -> None:
    """Until the second pass reaches a page, the thumbnails panel shows a placeholder for it (the
    first page's thumbnail comes with its image); the panel, left open, fills in as it does."""
    path = books.library.manifest_path(book_of(books.progressive))
    complete = zoomed(path)
    manifest = json.loads(rewound(complete, 0, ("text", "links", "words"), textReady=0))
    for page in manifest["pages"][1:]:
        page["images"].pop("thumb")
    path.write_text(json.dumps(manifest))
    try:
        frame = open_widget(desktop, books, books.progressive)
        desktop.locator('[data-panel="thumbs"]').click()
        thumbs = desktop.locator("#fs-thumbs button")
        assert thumbs.count() == len(manifest["pages"])
        assert thumbs.nth(0).locator("img").count() == 1
        assert thumbs.nth(1).locator(".fs-thumb-wait").count() == 1
        assert desktop.locator("#fs-thumbs img").count() == 1
        shot(desktop, "waiting")
        path.write_text(complete)  # the second pass finishes
        desktop.wait_for_function(
            "n => document.querySelectorAll('#fs-thumbs img').length === n",
            arg=len(manifest["pages"]),
        )
        assert desktop.locator("#fs-thumbs .fs-thumb-wait").count() == 0
        shot(desktop)
        assert_clean(frame)
    finally:
        path.write_text(complete)
