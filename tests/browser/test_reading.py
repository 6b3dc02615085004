"""Reading: going to a page by number, search matches drawn on the page and stepped through,
the way back from a link, the contents list, and the shelf keeping each book's page."""

from __future__ import annotations

import json
from typing import Any

from tests.browser.conftest import Books, Shot
from tests.browser.helpers import (
    assert_clean,
    book_of,
    hash_of,
    new_phone,
    open_widget,
    pages,
    wait_painted,
    wait_settled,
)

# Where the first search match is drawn, and what the reader sees at its middle.
FIRST_MATCH = """() => {
  const mark = document.querySelector('.fs-book-area .fs-hit');
  if (!mark) return null;
  const r = mark.getBoundingClientRect();
  const seen = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
  const page = seen && seen.closest('.fs-page');
  return {width: r.width, height: r.height, page: page ? page.dataset.page : null,
          inside: r.left >= 0 && r.top >= 0 && r.right <= innerWidth && r.bottom <= innerHeight};
}"""


def test_go_to_page_lands_exactly_on_enter_tab_and_change(
    books: Books, desktop: Any, shot: Shot
) -> None:
    frame = open_widget(desktop, books, books.big)
    field = desktop.locator("#fs-page-input")
    field.fill("150")
    field.press("Enter")  # Enter, and the change event it also fires: one turn
    wait_settled(frame, "150,151")
    field.fill("300")
    field.press("Tab")
    wait_settled(frame, "300,301")
    field.fill("777")
    field.dispatch_event("change")
    wait_settled(frame, "776,777")
    field.fill("0")
    field.press("Enter")  # nonsense: stays, and shows where the reader is again
    wait_settled(frame, "776,777")
    assert field.input_value() == "776"
    shot(desktop)
    assert_clean(frame)


def search_for(page: Any, words: str) -> None:
    page.locator('.fs-toolbar [data-panel="search"]').click()
    page.locator("#fs-search-input").fill(words)
    page.keyboard.press("Enter")
    page.locator("#fs-search-results button").first.wait_for()


def test_a_search_match_is_drawn_on_the_page_beside_the_panel(
    books: Books, desktop: Any, shot: Shot
) -> None:
    frame = open_widget(desktop, books, books.text)
    search_for(desktop, "dromedary")
    desktop.locator("#fs-search-results button").first.click()
    wait_settled(frame, "4,5")
    frame.wait_for_function("() => Number(document.documentElement.dataset.marks) >= 31")
    match = frame.evaluate(FIRST_MATCH)
    # On page 4, visible (not under the panel, which sits beside the book), the word's size.
    assert match["page"] == "4" and match["inside"], match
    assert 20 < match["width"] < 200 and 5 < match["height"] < 40, match
    panel = desktop.locator("#fs-panel-search").bounding_box()
    book = frame.evaluate(
        "(() => { const r = Flipshelf.player.book.pagesRect(); return r.right; })()"
    )
    assert book <= panel["x"] + 1  # the pages end where the panel begins
    shot(desktop)
    assert_clean(frame)


def test_on_a_phone_the_panel_gets_out_of_the_way_and_keys_step_through_matches(
    books: Books, browser: Any, shot: Shot
) -> None:
    phone = new_phone(browser, 390, 844)
    try:
        frame = open_widget(phone, books, books.text)
        phone.locator('.fs-toolbar [data-panel="search"]').click()
        phone.locator("#fs-search-input").fill("about the")
        phone.keyboard.press("Enter")
        phone.locator("#fs-search-results button").nth(4).wait_for()  # every page matches
        phone.locator("#fs-search-results button").nth(1).click()
        wait_settled(frame, "2")
        assert phone.locator("#fs-panel-search").is_hidden()  # it covered the stage: closed
        assert phone.locator("#fs-hits").is_visible()  # the matches bar instead
        # "about the" on each of the page's 30 lines: two words drawn for each.
        frame.wait_for_function("() => Number(document.documentElement.dataset.marks) === 60")
        match = frame.evaluate(FIRST_MATCH)
        assert match["page"] == "2" and match["inside"], match
        hits = phone.locator("#fs-hits").bounding_box()
        first = phone.locator(".fs-book-area .fs-hit").first.bounding_box()
        assert first["y"] >= hits["y"] + hits["height"]  # the bar is above the page, not over it
        shot(phone)
        phone.keyboard.press("F3")
        wait_settled(frame, "3")
        phone.locator('#fs-hits [data-hit="1"]').click()
        wait_settled(frame, "4")
        phone.keyboard.press("Shift+F3")
        wait_settled(frame, "3")
        phone.locator('#fs-hits [data-hit="0"]').click()  # end the search
        frame.wait_for_function("() => !document.querySelector('.fs-hit')")
        assert phone.locator("#fs-hits").is_hidden()
        assert_clean(frame)
    finally:
        phone.context.close()


def test_snippets_never_show_control_characters(books: Books, desktop: Any, shot: Shot) -> None:
    path = books.library.runtime.ports.files.local_path(
        f"flipbooks/{book_of(books.altered)}/book/text/all.json"
    )
    assert path is not None
    texts = json.loads(path.read_text())
    texts[2] = "Form\x0cfeed\x01 and a bell\x07 near the \x02okapi\x03 of page 3\ufffd."
    path.write_text(json.dumps(texts))
    frame = open_widget(desktop, books, books.altered)
    search_for(desktop, "okapi")
    snippet = desktop.locator("#fs-search-results button").first.inner_text()
    assert "okapi" in snippet
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F or c == "\ufffd" for c in snippet)
    shot(desktop)
    assert_clean(frame)


def test_back_returns_from_a_link_to_another_page(books: Books, desktop: Any, shot: Shot) -> None:
    frame = open_widget(desktop, books, books.text)
    desktop.locator('a.fs-link[data-page="3"]').click()
    wait_settled(frame, "2,3")
    back = desktop.locator("#fs-return")
    assert back.inner_text() == "Back to page 1"
    shot(desktop)
    back.click()
    wait_settled(frame, "1")
    assert back.is_hidden()
    desktop.locator('a.fs-link[data-page="3"]').click()
    wait_settled(frame, "2,3")
    desktop.go_back()  # the browser's own Back does the same
    wait_settled(frame, "1")
    assert desktop.url.startswith(books.library.widget(hash_of(books.text)))  # still here
    assert_clean(frame)


def test_contents_fold_and_mark_the_section_being_read(
    books: Books, desktop: Any, shot: Shot
) -> None:
    frame = open_widget(desktop, books, books.shelf, "startBook=2&startPage=1")
    desktop.locator('.fs-toolbar [data-panel="contents"]').click()
    entries = desktop.locator("#fs-contents button.fs-item")
    entries.first.wait_for()
    outline = frame.evaluate("Flipshelf.player.book.manifest.outline")
    assert entries.count() < sum(1 + len(e["children"]) for e in outline)  # folded
    twisty = desktop.locator("#fs-contents .fs-toc-toggle").first
    folded = entries.count()
    twisty.click()
    assert twisty.get_attribute("aria-expanded") == "true"
    assert entries.count() > folded
    twisty.click()
    assert entries.count() == folded
    # Deep in the book: the entry being read is marked, its parents unfolded to show it.
    frame.evaluate("Flipshelf.player.go(30)")
    frame.wait_for_function(
        "() => document.documentElement.dataset.pages.split(',').includes('30')"
    )
    current = desktop.locator('#fs-contents [aria-current="location"]')
    current.wait_for()
    assert 1 < int(current.get_attribute("data-page") or "0") <= 31
    shot(desktop)
    assert_clean(frame)


def test_the_shelf_keeps_each_books_page(books: Books, desktop: Any) -> None:
    frame = open_widget(desktop, books, books.shelf, "startPage=4")
    shelf = desktop.locator("#fs-shelf-list button")
    books_button = desktop.locator('.fs-toolbar [data-panel="books"]')
    books_button.click()
    shelf.nth(1).click()
    frame.wait_for_function("() => Flipshelf.player.bookIndex === 1")
    wait_painted(frame)
    frame.evaluate("Flipshelf.player.go(10)")
    wait_settled(frame, "10,11")
    books_button.click()
    shelf.nth(0).click()
    wait_settled(frame, "4,5")  # where the reader left the first book
    books_button.click()
    shelf.nth(1).click()
    wait_settled(frame, "10,11")
    assert pages(frame) == "10,11"
    assert_clean(frame)
