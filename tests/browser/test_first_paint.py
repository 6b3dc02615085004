"""The opening page as a plain image (issue 16): in the HTML from the start, visible before any
script runs, at the very place the page-turn engine then draws that page, in every slot size;
the engine takes over (the plain image goes once the engine's page has painted) and reads as
usual. `flipshelf:first-page` marks the plain image's paint."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from flipshelf.security.links import SignedLinks
from tests.browser.conftest import XSS, Books, Shot, new_page
from tests.browser.helpers import (
    Finger,
    assert_clean,
    book_of,
    hash_of,
    pages,
    pages_rect,
    wait_settled,
)

PLAIN = "#fs-first-img"
# The plain image has loaded and is laid out.
SHOWN = """() => { const img = document.getElementById('fs-first-img');
    return !!img && img.complete && img.naturalWidth > 0; }"""
# The engine has painted and the plain image is gone.
TAKEN_OVER = """() => document.documentElement.dataset.painted === 'true'
    && !document.getElementById('fs-first')"""
ENGINE_PAGE = """n => { const b = document.querySelector(
    '.fs-page[data-page="' + n + '"] .fs-page-img').getBoundingClientRect();
    return {x: b.x, y: b.y, width: b.width, height: b.height}; }"""

# name: viewport, phone (touch, 3x), the pages the engine shows opening at page 1 and at page 4
# (also the last spread of the 5-page book).
SLOTS = {
    "desktop": ({"width": 1200, "height": 800}, False, "1", "4,5"),
    "phone": ({"width": 390, "height": 844}, True, "1", "4"),
    "embed-300x250": ({"width": 300, "height": 250}, False, "1", "4,5"),
    "embed-400x300": ({"width": 400, "height": 300}, False, "1", "4,5"),
}
LAST = {"phone": "5"}


def context_options(name: str) -> dict[str, Any]:
    viewport, phone, _first, _fourth = SLOTS[name]
    options: dict[str, Any] = {"viewport": viewport}
    if phone:
        options.update(device_scale_factor=3, is_mobile=True, has_touch=True)
    return options


def plain_box(browser: Any, url: str, options: dict[str, Any], shot: Shot, name: str) -> Any:
    """Where the plain image is with JavaScript off (no script at all runs), and its alt text."""
    page = browser.new_page(java_script_enabled=False, **options)
    try:
        page.goto(url)
        page.wait_for_function(SHOWN)
        img = page.locator(PLAIN)
        assert img.is_visible()
        shot(page, f"{name}-no-script")
        return img.bounding_box(), img.get_attribute("alt")
    finally:
        page.context.close()


def assert_same_box(plain: dict[str, float], engine: dict[str, float]) -> None:
    for key in ("x", "y", "width", "height"):
        assert abs(plain[key] - engine[key]) <= 2, (key, plain, engine)


# When the plain image painted (Element Timing entries are only given to observers).
PLAIN_PAINTS = """() => new Promise((resolve) => new PerformanceObserver((list) =>
    resolve(list.getEntries().map(e => e.renderTime || e.loadTime))
  ).observe({type: 'element', buffered: true}))"""
# The player's first-page mark once it is made (the observer's callback may come late).
MARKS = """() => {
  const marks = performance.getEntriesByName('flipshelf:first-page').map(e => e.startTime);
  return marks.length ? marks : null;
}"""
# Watches the hand-over: when the engine's book appears, what is on top at the plain image's
# middle (the plain image must be: the engine's pages are white until their image decodes), and
# when the plain image goes, whether the engine's image of that page has loaded.
HANDOVER = """
window.__handover = {};
function onTop() {
  // Every frame from the engine's book appearing until the plain image goes.
  const seen = window.__handover;
  const first = document.getElementById('fs-first');
  if (!first) return;
  const img = first.querySelector('img');
  const box = img.getBoundingClientRect();
  first.style.pointerEvents = 'auto';
  const top = document.elementFromPoint(box.x + box.width / 2, box.y + box.height / 2);
  first.style.pointerEvents = '';
  if (top !== img) {
    if (!seen.onTop || seen.onTop === 'plain') seen.onTop = String(top && top.className);
  } else if (!seen.onTop) {
    seen.onTop = 'plain';
  }
  requestAnimationFrame(onTop);
}
new MutationObserver((changes) => {
  const seen = window.__handover;
  if (!seen.watching && document.querySelector('.fs-book')) {
    seen.watching = true;
    requestAnimationFrame(onTop);
  }
  for (const change of changes) {
    for (const node of change.removedNodes) {
      if (node.id !== 'fs-first') continue;
      const shown = document.documentElement.dataset.pages || '';
      const imgs = shown.split(',').map((n) => document.querySelector(
        '.fs-page[data-page="' + n + '"] .fs-page-img'));
      seen.engineLoaded = imgs.every((img) => img && img.complete && img.naturalWidth > 0);
    }
  }
}).observe(document, {childList: true, subtree: true});
"""


def taken_over(browser: Any, url: str, options: dict[str, Any], plain: Any, number: str) -> Any:
    """The player with scripts: once the engine has taken over, its page `number` is where the
    plain image was, and the plain image stayed on top until the engine's own had loaded. The
    caller closes the page's context."""
    page = new_page(browser, **options)
    page.add_init_script(HANDOVER)
    page.goto(url)
    page.wait_for_function(TAKEN_OVER)
    assert_same_box(plain, page.evaluate(ENGINE_PAGE, number))
    handover = page.evaluate("window.__handover")
    assert handover == {"watching": True, "onTop": "plain", "engineLoaded": True}, handover
    return page


@pytest.mark.parametrize("name", list(SLOTS))
def test_the_opening_page_is_an_image_before_any_script_and_where_the_engine_draws_it(
    books: Books, browser: Any, shot: Shot, name: str
) -> None:
    _viewport, phone, first_shown, fourth_shown = SLOTS[name]
    options = context_options(name)
    for query, shown, number in (("", first_shown, "1"), ("startPage=4", fourth_shown, "4")):
        url = books.library.widget(hash_of(books.text), query)
        before, alt = plain_box(browser, url, options, shot, f"{name}-p{number}")
        assert alt == f"Animals, page {number}"
        page = taken_over(browser, url, options, before, number)
        try:
            assert pages(page) == shown
            # The mark is the plain image's paint (its Element Timing entry), even where the
            # observer's callback comes after the engine has painted and taken over.
            marks = page.wait_for_function(MARKS).json_value()
            plain = page.evaluate(PLAIN_PAINTS)
            assert len(marks) == 1 and len(plain) == 1, (marks, plain)
            assert abs(marks[0] - plain[0]) < 0.01, (marks, plain)
            # The engine reads as usual: turning by key, and by a tap on a phone.
            page.locator("#fs-book-area").focus()
            page.keyboard.press("End")
            wait_settled(page, LAST.get(name, "4,5"))
            page.keyboard.press("Home")
            wait_settled(page, "1")
            if phone:
                rect = pages_rect(page)
                Finger(page).tap(rect["x"] + rect["width"] * 0.88, rect["y"] + rect["height"] * 0.6)
                wait_settled(page, "2")
            shot(page, f"{name}-p{number}-engine")
            assert_clean(page)
        finally:
            page.context.close()


def test_the_plain_image_keeps_its_place_while_it_loads_and_with_scripts_blocked(
    books: Books, browser: Any
) -> None:
    """Its box comes from the manifest's sizes, not from the image: no layout shift. With every
    script blocked the page still shows, and the placing stylesheet passes the page's policy."""
    url = books.library.widget(hash_of(books.text))
    page = new_page(browser, viewport={"width": 1200, "height": 800})
    try:
        page.route("**/*.js*", lambda route: route.abort())
        page.route("**/pages/*-normal.jpg*", lambda route: route.abort())
        page.goto(url)
        empty = page.locator(PLAIN).bounding_box()
        page.unroute("**/pages/*-normal.jpg*")
        page.reload()
        page.wait_for_function(SHOWN)
        loaded = page.locator(PLAIN).bounding_box()
        assert empty == loaded
        assert loaded["width"] > 300 and loaded["height"] > 400, loaded
        assert page.evaluate("document.documentElement.dataset.painted") is None
        # Before the scripts start nothing but the page is laid out: no text, whose fonts would
        # hold the first paint back; the controls come with the scripts.
        assert page.evaluate("document.body.innerText.trim()") == ""
        assert not page.locator("#fs-toolbar").is_visible()
        assert not page.locator("#fs-title").is_visible()
        assert_clean(page)  # no Content-Security-Policy violation: the style's hash is allowed
    finally:
        page.context.close()


def test_right_to_left_and_another_book_of_a_shelf_open_with_their_own_plain_page(
    books: Books, browser: Any, shot: Shot
) -> None:
    options = context_options("desktop")
    cases = [
        (books.text, "startPage=5&rtl=1", "5", "4,5", "Animals, page 5"),
        (books.text, "startPage=2&rtl=1", "2", "2,3", "Animals, page 2"),
        (books.shelf, "startBook=2&startPage=7", "7", "6,7", "R FAQ, page 7"),
    ]
    for collection, query, number, shown, alt in cases:
        url = books.library.widget(hash_of(collection), query)
        before, got_alt = plain_box(browser, url, options, shot, f"rtl-shelf-{number}")
        assert got_alt == alt
        page = taken_over(browser, url, options, before, number)
        try:
            assert pages(page) == shown
            assert_clean(page)
        finally:
            page.context.close()


def test_a_deep_link_elsewhere_hands_over_to_its_page_and_the_engine_marks_the_paint(
    books: Books, browser: Any
) -> None:
    """`#page=3` never reaches the server: the plain image is page 1 until the engine has painted
    pages 2-3 (no blank stage between), and the mark is the engine's paint, not page 1's."""
    page = new_page(browser, viewport={"width": 1200, "height": 800})
    page.add_init_script(HANDOVER)
    try:
        page.goto(books.library.widget(hash_of(books.text)) + "#page=3")
        page.wait_for_function(TAKEN_OVER)
        assert pages(page) == "2,3"
        assert page.evaluate("window.__handover")["engineLoaded"] is True
        mark = page.evaluate(
            "performance.getEntriesByName('flipshelf:first-page').map(e => e.startTime)"
        )
        plain = page.evaluate(PLAIN_PAINTS)
        assert len(mark) == 1 and len(plain) == 1 and mark[0] > plain[0], (mark, plain)
        assert_clean(page)
    finally:
        page.context.close()


def test_owner_text_stays_text_in_the_alt_and_no_page_no_plain_image(
    books: Books, browser: Any
) -> None:
    page = browser.new_page(java_script_enabled=False)
    try:
        page.goto(books.library.widget(hash_of(books.hostile)))
        page.wait_for_function(SHOWN)
        assert page.locator(PLAIN).get_attribute("alt") == f"{XSS}, page 1"
        assert page.locator("img").count() == 1  # the markup in the title made no element
        # Past the last page the engine opens at its end: no plain image of a page that is not.
        page.goto(books.library.widget(hash_of(books.text), "startPage=99"))
        assert page.locator(PLAIN).count() == 0
        # The plain image is the server's file URL for that book's page.
        page.goto(books.library.widget(hash_of(books.text), "startPage=3"))
        src = page.locator(PLAIN).get_attribute("src")
        assert src == f"../f/{book_of(books.text)}/pages/0003-normal.jpg"
    finally:
        page.context.close()


def test_a_private_collection_s_plain_page_carries_its_signed_link(
    books: Books, browser: Any
) -> None:
    runtime = books.library.runtime
    links = SignedLinks(runtime.server_key, "collection")
    valid = links.query(hash_of(books.private), runtime.ports.clock.now() + timedelta(hours=1))
    page = browser.new_page(java_script_enabled=False)
    try:
        page.goto(books.library.widget(hash_of(books.private), valid))
        page.wait_for_function(SHOWN)  # the file route let it through: it has exp and sig
        src = page.locator(PLAIN).get_attribute("src")
        assert src == f"../f/{book_of(books.private)}/pages/0001-normal.jpg?{valid}"
    finally:
        page.context.close()
