"""The player in real headless Chromium, on real converted flipbooks (see conftest.py).

Each scenario leaves a screenshot in test-artifacts/browser/. Waits are for states the player
exposes (`data-painted`, `data-pages`, `data-zoom` on <html>), never for a length of time."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from flipshelf.security.links import SignedLinks
from tests.browser.conftest import XSS, Books, Shot, new_page
from tests.browser.helpers import (
    Finger,
    assert_clean,
    book_area,
    book_of,
    hash_of,
    new_phone,
    open_widget,
    pages,
    wait_pages,
    wait_painted,
)
from tests.browser.library import AXE, OtherOrigin
from tests.browser.test_text_pass import rewound, zoomed


def events_of(books: Books, session: str) -> list[tuple[dict[str, Any], int]]:
    return [(e, s) for e, s in books.library.recorder.events if e.get("session") == session]


def session_of(frame: Any) -> str:
    value: str = frame.evaluate("Flipshelf.player.events.session")
    return value


FIELDS = {
    "impression": {"collection", "session", "type", "flipbook"},
    "view": {"collection", "session", "type", "flipbook"},
    "page": {"collection", "session", "type", "flipbook", "page", "seconds"},
    "click": {"collection", "session", "type", "flipbook", "page"},
}


def test_embed_on_another_origin_turns_pages_by_click_key_and_button(
    books: Books, other_origin: OtherOrigin, desktop: Any, shot: Shot
) -> None:
    embed = books.library.api.get("collection.getEmbed", collectionHash=hash_of(books.text))
    site = other_origin.page("/embed.html", embed["embedCode"])
    desktop.goto(site)
    frame = desktop.locator("iframe").element_handle().content_frame()
    wait_painted(frame)
    assert frame.url.startswith(books.library.url + "/widget/")
    assert not site.startswith(books.library.url)  # a different origin embeds it
    assert pages(frame) == "1"
    area = book_area(frame)
    frame_box = desktop.locator("iframe").bounding_box()
    # A click on the right-hand page turns forward.
    desktop.mouse.click(
        frame_box["x"] + area["x"] + area["width"] * 0.8,
        frame_box["y"] + area["y"] + area["height"] * 0.5,
    )
    wait_pages(frame, "2,3")
    desktop.keyboard.press("ArrowRight")
    wait_pages(frame, "4,5")
    desktop.keyboard.press("Home")
    wait_pages(frame, "1")
    frame.locator('.fs-toolbar [data-action="next"]').click()
    wait_pages(frame, "2,3")
    desktop.keyboard.press("End")
    wait_pages(frame, "4,5")
    assert frame.locator('.fs-toolbar [data-action="next"]').is_disabled()
    shot(desktop)
    assert_clean(frame)
    # What the reader did reached the server, each event in the shape the endpoint takes.
    session = session_of(frame)
    frame.evaluate("Flipshelf.player.events.flush()")
    desktop.wait_for_function("() => true")  # let the last beacon go
    sent = frame.evaluate("Flipshelf.player.events.sent")
    kinds = [event["type"] for event in sent]
    assert kinds[0] == "impression" and kinds.count("view") == 1
    assert {e["page"] for e in sent if e["type"] == "page"} == {1, 2, 3, 4, 5}
    for event in sent:
        assert set(event) == FIELDS[event["type"]], event
    received = events_of(books, session)
    assert received, "no event reached the server"
    assert all(status == 204 for _event, status in received), received


def test_swipe_on_a_375px_phone_shows_one_page_at_a_time(
    books: Books, browser: Any, shot: Shot
) -> None:
    phone = new_phone(browser)
    try:
        frame = open_widget(phone, books, books.text)
        assert pages(frame) == "1"
        assert phone.evaluate("document.documentElement.scrollWidth") <= 375
        # The compact bar: the page controls and search at hand, the rest in the menu.
        for control in ('[data-action="next"]', '[data-action="prev"]', ".fs-more"):
            assert phone.locator(f".fs-toolbar {control}").is_visible()
        area = book_area(frame)
        y = area["y"] + area["height"] / 2
        finger = Finger(phone)
        finger.swipe(area["x"] + area["width"] * 0.85, area["x"] + area["width"] * 0.15, y)
        wait_pages(frame, "2")
        box = phone.locator('.fs-page[data-page="2"]').bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 375
        assert box["width"] > 300  # the page fills the phone's width
        shot(phone)
        assert_clean(frame)
    finally:
        phone.context.close()


def test_a_pinch_zooms_in_and_out_without_turning_the_page(
    books: Books, browser: Any, shot: Shot
) -> None:
    phone = new_phone(browser)
    try:
        frame = open_widget(phone, books, books.text)
        area = book_area(frame)
        x, y = area["x"] + area["width"] / 2, area["y"] + area["height"] / 2
        finger = Finger(phone)
        finger.pinch(x, y, 60, 200)  # spread: 3.3 times apart, several steps of a quarter
        phone.wait_for_function("() => Number(document.documentElement.dataset.zoom) >= 2")
        assert phone.locator("#fs-zoom img").count() == 1
        shot(phone)
        finger.pinch(x, y, 240, 40)  # closed to a sixth: back to the book
        phone.wait_for_function("() => !document.documentElement.dataset.zoom")
        # Nothing is turning or about to: a fold the fingers had started would be running.
        assert not frame.evaluate("Flipshelf.player.book.isFlipping()")
        assert pages(frame) == "1"
        assert_clean(frame)
    finally:
        phone.context.close()


def test_zoom_and_pan_never_turn_the_page_but_turning_keeps_the_zoom(
    books: Books, desktop: Any, shot: Shot
) -> None:
    frame = open_widget(desktop, books, books.text, "startPage=2")
    assert pages(frame) == "2,3"
    desktop.keyboard.press("+")
    desktop.wait_for_function("() => document.documentElement.dataset.zoom === '1.5'")
    images = desktop.locator("#fs-zoom img")
    assert images.count() == 2
    source = images.first.get_attribute("src")
    assert source is not None and ("-zoom.jpg" in source or "-normal.jpg" in source)
    desktop.keyboard.press("+")
    desktop.wait_for_function("() => document.documentElement.dataset.zoom === '2'")
    view = desktop.locator("#fs-zoom")
    before = view.evaluate("v => [v.scrollLeft, v.scrollTop]")
    desktop.keyboard.press("ArrowRight")
    desktop.keyboard.press("ArrowDown")
    after = view.evaluate("v => [v.scrollLeft, v.scrollTop]")
    assert after[0] > before[0] and after[1] > before[1]
    box = view.bounding_box()
    desktop.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    desktop.mouse.down()
    desktop.mouse.move(
        box["x"] + box["width"] / 2 - 150, box["y"] + box["height"] / 2 - 80, steps=5
    )
    desktop.mouse.up()
    dragged = view.evaluate("v => [v.scrollLeft, v.scrollTop]")
    assert dragged[0] > after[0] and dragged[1] > after[1]
    assert pages(frame) == "2,3"  # dragging and the arrow keys move around, never turn
    # Turning while zoomed turns, and keeps the zoom on the new pages.
    desktop.locator('.fs-side[data-action="forward"]').click()
    wait_pages(frame, "4,5")
    assert desktop.evaluate("document.documentElement.dataset.zoom") == "2"
    desktop.locator('#fs-zoom img[alt="Page 4, zoomed"]').wait_for()
    shot(desktop)
    desktop.keyboard.press("PageUp")
    wait_pages(frame, "2,3")
    desktop.locator('#fs-zoom img[alt="Page 2, zoomed"]').wait_for()
    desktop.keyboard.press("Escape")
    desktop.wait_for_function("() => !document.documentElement.dataset.zoom")
    desktop.keyboard.press("ArrowRight")
    wait_pages(frame, "4,5")
    assert_clean(frame)


def test_search_finds_a_word_and_jumps_to_its_page(books: Books, desktop: Any, shot: Shot) -> None:
    frame = open_widget(desktop, books, books.text)
    desktop.locator('[data-panel="search"]').click()
    desktop.locator("#fs-search-input").fill("dromedary")
    desktop.keyboard.press("Enter")
    results = desktop.locator("#fs-search-results button")
    results.first.wait_for()
    assert results.count() == 1
    assert "Page 4" in results.first.inner_text()
    assert results.first.locator("mark").inner_text().lower() == "dromedary"
    shot(desktop, "results")
    results.first.click()
    wait_pages(frame, "4,5")
    shot(desktop)
    assert_clean(frame)


def test_links_on_pages_follow_without_turning(books: Books, desktop: Any, shot: Shot) -> None:
    frame = open_widget(desktop, books, books.text)
    session = session_of(frame)
    external = desktop.locator('a.fs-link[href^="https://example.org/"]')
    assert external.get_attribute("target") == "_blank"
    assert external.get_attribute("rel") == "noopener"
    assert desktop.locator('a.fs-link[href^="javascript:"]').count() == 0
    desktop.context.route("https://example.org/**", lambda route: route.abort())
    with desktop.context.expect_page() as opened:
        external.click()
    opened.value.close()
    assert pages(frame) == "1"  # following a link never turns the page
    internal = desktop.locator('a.fs-link[data-page="3"]')
    assert internal.get_attribute("aria-label") == "Go to page 3"
    internal.click()
    wait_pages(frame, "2,3")
    shot(desktop)
    sent = frame.evaluate("Flipshelf.player.events.sent")
    clicks = [e for e in sent if e["type"] == "click"]
    assert [c["page"] for c in clicks] == [1, 1]
    assert all(set(c) == FIELDS["click"] for c in clicks)
    desktop.wait_for_function("() => true")
    assert any(e["type"] == "click" for e, _s in events_of(books, session))
    assert_clean(frame)


def test_a_deep_link_opens_where_the_reader_was(books: Books, desktop: Any, shot: Shot) -> None:
    frame = open_widget(desktop, books, books.text, "startPage=1")
    desktop.keyboard.press("ArrowRight")
    wait_pages(frame, "2,3")
    assert desktop.url.endswith("#page=2")
    link = desktop.url.replace("#page=2", "#page=4")
    desktop.goto("about:blank")
    desktop.goto(link)
    wait_painted(desktop)
    assert pages(desktop.main_frame) == "4,5"
    desktop.reload()
    wait_painted(desktop)
    assert pages(desktop.main_frame) == "4,5"
    shot(desktop)


def test_a_shelf_switches_books_and_reads_their_contents(
    books: Books, desktop: Any, shot: Shot
) -> None:
    frame = open_widget(desktop, books, books.shelf)
    desktop.locator('.fs-toolbar [data-panel="books"]').click()
    shelf = desktop.locator("#fs-shelf-list button")
    assert shelf.count() == 2
    assert shelf.nth(0).get_attribute("aria-current") == "true"
    shelf.nth(1).click()
    desktop.wait_for_function(
        "() => document.getElementById('fs-book-title').textContent === 'R FAQ'"
    )
    wait_painted(frame)
    wait_pages(frame, "1")
    assert "book=2" in desktop.url
    desktop.locator('[data-panel="contents"]').click()
    entries = desktop.locator("#fs-contents button.fs-item")
    entries.first.wait_for()
    assert entries.count() > 5
    target = entries.nth(3)
    number = int(target.get_attribute("data-page") or "0")
    assert number > 1
    shot(desktop, "contents")
    target.click()
    frame.wait_for_function(
        "n => document.documentElement.dataset.pages.split(',').map(Number).includes(n)",
        arg=number,
    )
    desktop.locator('[data-panel="thumbs"]').click()
    thumbs = desktop.locator("#fs-thumbs button")
    assert thumbs.count() == 52
    thumbs.nth(9).click()
    frame.wait_for_function(
        "() => document.documentElement.dataset.pages.split(',').map(Number).includes(10)"
    )
    shot(desktop)
    desktop.locator('.fs-toolbar [data-panel="books"]').click()
    shelf.nth(0).click()
    wait_pages(frame, "1")
    assert_clean(frame)


def test_right_to_left_books_turn_the_other_way(books: Books, desktop: Any, shot: Shot) -> None:
    frame = open_widget(desktop, books, books.text, "rtl=1")
    assert pages(frame) == "1"
    desktop.keyboard.press("ArrowLeft")  # forward, in a right-to-left book
    wait_pages(frame, "2,3")
    two = desktop.locator('.fs-page[data-page="2"]').bounding_box()
    three = desktop.locator('.fs-page[data-page="3"]').bounding_box()
    assert two["x"] > three["x"]  # page 2 on the right, page 3 on its left
    area = book_area(frame)
    desktop.mouse.click(area["x"] + area["width"] * 0.2, area["y"] + area["height"] * 0.5)
    wait_pages(frame, "4,5")
    shot(desktop)
    desktop.keyboard.press("ArrowRight")  # back
    wait_pages(frame, "2,3")
    assert_clean(frame)


def test_a_private_collection_opens_only_with_a_valid_link(
    books: Books, desktop: Any, shot: Shot
) -> None:
    runtime = books.library.runtime
    links = SignedLinks(runtime.server_key, "collection")
    now = runtime.ports.clock.now()
    collection = hash_of(books.private)
    valid = links.query(collection, now + timedelta(hours=1))
    frame = open_widget(desktop, books, books.private, valid)
    loaded = desktop.locator(".fs-page-img").first.evaluate("img => img.naturalWidth")
    assert loaded > 0
    shot(desktop, "valid")
    assert_clean(frame)
    expired = links.query(collection, now - timedelta(minutes=1))
    response = desktop.goto(books.library.widget(collection, expired))
    assert response is not None and response.status == 410
    assert "expired" in desktop.locator("h1").inner_text()
    shot(desktop, "expired")
    tampered = valid[:-2] + ("00" if not valid.endswith("00") else "11")
    response = desktop.goto(books.library.widget(collection, tampered))
    assert response is not None and response.status == 403
    shot(desktop, "tampered")
    response = desktop.goto(books.library.widget(collection))
    assert response is not None and response.status == 403


def test_titles_full_of_markup_are_shown_as_text(books: Books, desktop: Any, shot: Shot) -> None:
    frame = open_widget(desktop, books, books.hostile)
    assert desktop.locator("#fs-title").inner_text() == XSS
    assert desktop.title() == XSS
    assert desktop.evaluate("window.__pwned") is None
    shot(desktop)
    assert_clean(frame)


def test_a_book_still_converting_fills_in_as_pages_arrive(
    books: Books, desktop: Any, shot: Shot
) -> None:
    path = books.library.manifest_path(book_of(books.progressive))
    complete = zoomed(path)
    keys = ("images", "text", "links", "words")
    path.write_text(rewound(complete, 2, keys, pagesReady=2, textReady=2))
    try:
        frame = open_widget(desktop, books, books.progressive, "startPage=2")
        wait_pages(frame, "2,3")
        waiting = desktop.locator('.fs-page[data-page="3"] .fs-page-wait')
        assert "being prepared" in waiting.inner_text()
        assert "2 ready" in desktop.locator("#fs-status").inner_text()
        shot(desktop, "converting")
        path.write_text(complete)  # the conversion finishes
        desktop.locator('.fs-page[data-page="3"] img').wait_for()
        desktop.wait_for_function(
            "() => !document.getElementById('fs-status').textContent.includes('ready')"
        )
        shot(desktop)
        assert_clean(frame)
    finally:
        path.write_text(complete)


def test_a_thousand_page_book_keeps_only_a_window_of_images(
    books: Books, desktop: Any, shot: Shot
) -> None:
    frame = open_widget(desktop, books, books.big, "startPage=500")
    assert pages(frame) == "500,501"
    assert desktop.locator(".fs-page").count() == 1000
    loaded = "() => document.querySelectorAll('img.fs-page-img').length"
    assert desktop.evaluate(loaded) <= 12
    desktop.keyboard.press("End")
    wait_pages(frame, "1000")
    assert desktop.evaluate(loaded) <= 12
    assert desktop.locator('.fs-page[data-page="500"] img').count() == 0  # let go of
    shot(desktop)
    assert_clean(frame)


def test_a_responsive_embed_fills_its_container(
    books: Books, other_origin: OtherOrigin, desktop: Any, shot: Shot
) -> None:
    embed = books.library.api.get(
        "collection.getEmbed", collectionHash=hash_of(books.text), responsive="true"
    )
    site = other_origin.page(
        "/responsive.html", f'<div id="holder" style="width: 900px">{embed["embedCode"]}</div>'
    )
    desktop.goto(site)
    frame = desktop.locator("iframe").element_handle().content_frame()
    wait_painted(frame)
    holder = desktop.locator("#holder").bounding_box()
    iframe = desktop.locator("iframe").bounding_box()
    assert abs(iframe["width"] - holder["width"]) <= 1
    assert iframe["height"] > 300  # the ratio of the collection's width and height
    shot(desktop)
    assert_clean(frame)


def test_reduced_motion_turns_pages_without_animation(
    books: Books, browser: Any, shot: Shot
) -> None:
    page = new_page(browser, reduced_motion="reduce")
    try:
        frame = open_widget(page, books, books.text)
        assert frame.evaluate("Flipshelf.player.book.pageFlip.getSettings().flippingTime") == 1
        page.keyboard.press("ArrowRight")
        wait_pages(frame, "2,3")
        area = book_area(frame)
        page.mouse.click(area["x"] + area["width"] * 0.8, area["y"] + area["height"] / 2)
        wait_pages(frame, "4,5")
        shot(page)
        assert_clean(frame)
    finally:
        page.context.close()


def test_every_control_is_labelled_and_the_text_view_reads_the_pages(
    books: Books, desktop: Any, shot: Shot
) -> None:
    frame = open_widget(desktop, books, books.text)
    unlabelled = desktop.evaluate(
        """() => [...document.querySelectorAll('button, input, a')]
            .filter(e => !(e.getAttribute('aria-label') || e.textContent.trim()
                           || e.labels?.length))
            .map(e => e.outerHTML)"""
    )
    assert unlabelled == []
    desktop.locator('[data-panel="text"]').click()
    text = desktop.locator("#fs-text")
    text.locator("h3").first.wait_for()
    assert "aardvark" in text.inner_text()
    desktop.keyboard.press("Escape")
    assert desktop.locator("#fs-panel-text").is_hidden()
    assert desktop.evaluate("document.activeElement.dataset.panel") == "text"
    desktop.keyboard.press("ArrowRight")
    wait_pages(frame, "2,3")
    desktop.locator('[data-panel="text"]').click()
    desktop.wait_for_function(
        "() => document.getElementById('fs-text').textContent.includes('chinchilla')"
    )
    shot(desktop)


@pytest.mark.skipif(not AXE.exists(), reason="axe-core is missing: run scripts/install-browser.sh")
def test_axe_finds_no_serious_accessibility_problems(
    books: Books, browser: Any, shot: Shot
) -> None:
    page = new_page(browser, bypass_csp=True)  # to inject axe itself
    try:
        open_widget(page, books, books.shelf)
        page.add_script_tag(path=str(Path(AXE)))
        found: list[dict[str, Any]] = []
        for panel in (None, "books", "contents", "thumbs", "search", "text"):
            if panel:
                page.locator(f'[data-panel="{panel}"]').click()
            if panel == "search":
                page.locator("#fs-search-input").fill("question")
                page.keyboard.press("Enter")
                page.locator("#fs-search-results li, #fs-search-status").first.wait_for()
            result = page.evaluate("async () => (await axe.run(document)).violations")
            found += [
                {"panel": panel, "id": v["id"], "impact": v["impact"], "nodes": len(v["nodes"])}
                for v in result
                if v["impact"] in ("serious", "critical")
            ]
        shot(page)
        assert found == []
    finally:
        page.context.close()


def test_a_reading_session_shows_up_in_get_stats(books: Books, browser: Any, shot: Shot) -> None:
    """Impression, view, pages with their time, a link click, a download: the player's events,
    counted by the server, answered by collection.getStats."""
    reader = new_page(browser)
    try:
        frame = open_widget(reader, books, books.stats)
        reader.keyboard.press("ArrowRight")  # the first interaction: a view; pages 2-3
        wait_pages(frame, "2,3")
        reader.keyboard.press("ArrowRight")
        wait_pages(frame, "4,5")
        reader.keyboard.press("Home")
        wait_pages(frame, "1")
        reader.context.route("https://example.org/**", lambda route: route.abort())
        with reader.context.expect_page() as opened:
            reader.locator('a.fs-link[href^="https://example.org/"]').click()
        opened.value.close()
        with reader.expect_download() as fetched:
            frame.locator("#fs-download").click()
        assert fetched.value.suggested_filename.endswith(".pdf")
        shot(reader)
        session = session_of(frame)
        reader.goto("about:blank")  # leaving reports the last page's time (pagehide)
        # Beacons travel on their own: keep the browser alive until the session's page views
        # and click have arrived (closing it at once can drop the last beacon in flight).
        deadline = time.monotonic() + 30
        while True:
            received = events_of(books, session)
            kinds = [e["type"] for e, _s in received]
            arrived = kinds.count("page") >= 6 and "click" in kinds and "download" in kinds
            if arrived or time.monotonic() > deadline:
                break
            time.sleep(0.1)
    finally:
        reader.context.close()
    api = books.library.api

    def counted() -> dict[str, Any]:
        return api.get(
            "collection.getStats", collectionHash=hash_of(books.stats), includePageStats="true"
        )

    assert all(status == 204 for _e, status in received), received
    assert kinds.count("page") >= 6, kinds  # 1, 2, 3, 4, 5, then 1 again on leaving
    stats = counted()
    assert (stats["impressions"], stats["views"], stats["downloads"]) == (1, 1, 1)
    pages = {p["page"]: p for p in stats["pages"]}
    assert {n for n, p in pages.items() if p["views"]} == {1, 2, 3, 4, 5}
    assert all(p["views"] == 1 for p in pages.values())  # once per session, however often
    assert pages[1]["clicks"] == 1
    assert stats["time_spent"] == sum(p["time_spent"] for p in pages.values())
