"""A book with a page that could not be drawn (issue 11): in Chromium, the page shows a clear
placeholder where it would be, and the pages around it read as usual, on a desktop and a phone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import Books, Shot, new_page
from tests.browser.test_player import assert_clean, hash_of, pages, wait_pages, wait_painted

PLACEHOLDER = ".fs-page[data-page='2'] .fs-page-failed"


@pytest.fixture(scope="module")
def damaged(books: Books, documents: dict[str, Path]) -> dict[str, Any]:
    """The three-page PDF whose second page cannot be loaded, uploaded and converted."""
    api = books.library.api
    made = api.upload("collection.create", documents["bad_page"].read_bytes(), "damaged.pdf")
    done = api.wait(hash_of(made))
    (item,) = done["collectionItems"]
    assert (item["convertStatus"], item["failedPages"]) == ("COMPLETE", [2]), item
    return done


@pytest.mark.parametrize(
    "viewport,shown",
    [
        ({"width": 1200, "height": 800}, "2,3"),
        ({"width": 375, "height": 667}, "2"),
        # A small landscape slot shows a spread: two pages fill it better than one.
        ({"width": 350, "height": 250}, "2,3"),
    ],
    ids=["desktop", "phone", "small-embed"],
)
def test_a_page_that_could_not_be_drawn_shows_a_placeholder(
    books: Books,
    browser: Any,
    damaged: dict[str, Any],
    shot: Shot,
    viewport: dict[str, int],
    shown: str,
) -> None:
    phone = viewport["width"] < 480
    page = new_page(browser, viewport=viewport, has_touch=phone, is_mobile=phone)
    try:
        page.goto(books.library.widget(hash_of(damaged), "startPage=2"))
        wait_painted(page)
        wait_pages(page, shown)
        placeholder = page.locator(PLACEHOLDER)
        placeholder.wait_for(state="visible")
        assert "could not be shown" in placeholder.inner_text()
        box = placeholder.bounding_box()
        assert box is not None and box["width"] > 30 and box["height"] > 30
        # No image stands for the failed page; the page beside it has its own.
        assert page.locator(".fs-page[data-page='2'] img").count() == 0
        if "3" in shown.split(","):
            page.locator(".fs-page[data-page='3'] img.fs-page-img").wait_for(state="visible")
        assert pages(page) == shown
        shot(page, f"{viewport['width']}x{viewport['height']}")
        assert_clean(page)
    finally:
        page.context.close()
