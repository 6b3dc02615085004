"""Sharing and the page around the player: the share link, the host page's postMessage protocol
(the example of docs/player.md, run as it is written there), compression as served by the running
app, and the collection's public page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.browser.conftest import Books, Shot, new_page
from tests.browser.helpers import (
    assert_clean,
    book_of,
    hash_of,
    open_widget,
    wait_painted,
    wait_settled,
)
from tests.browser.library import AXE, OtherOrigin

DOCS = Path(__file__).resolve().parents[2] / "docs" / "player.md"


def host_example(player_origin: str) -> str:
    """The host page script from docs/player.md, with the player's origin filled in."""
    text = DOCS.read_text()
    opening = text.index("```html", text.index("<!-- host page example -->")) + len("```html")
    block = text[opening : text.index("```", opening)]
    return block.replace("https://books.example.com", player_origin)


def test_the_share_link_opens_the_player_at_the_page(
    books: Books, browser: Any, shot: Shot
) -> None:
    page = new_page(browser)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    try:
        frame = open_widget(page, books, books.shelf, "startBook=2&startPage=6")
        wait_settled(frame, "6,7")
        page.locator('.fs-toolbar [data-action="share"]').click()
        field = page.locator("#fs-share-url")
        field.wait_for()
        page.wait_for_function("() => document.getElementById('fs-share-status').textContent")
        url = field.input_value()
        assert url == books.library.widget(hash_of(books.shelf)) + "#book=2&page=6"
        assert page.evaluate("navigator.clipboard.readText()") == url
        assert page.locator("#fs-share-status").inner_text() == "Link copied."
        shot(page)
        reader = new_page(browser)
        try:
            reader.goto(url)
            wait_painted(reader)
            wait_settled(reader.main_frame, "6,7")
            assert reader.evaluate("Flipshelf.player.bookIndex") == 1
        finally:
            reader.context.close()
        assert_clean(frame)
    finally:
        page.context.close()


def test_a_host_page_mirrors_the_page_in_its_url_and_opens_the_player_there(
    books: Books, other_origin: OtherOrigin, desktop: Any, shot: Shot
) -> None:
    widget = books.library.widget(hash_of(books.text))
    script = host_example(books.library.url)
    site = other_origin.page(
        "/host.html",
        f'<iframe id="flipbook" src="{widget}" width="900" height="560" title="Flipbook"></iframe>'
        f"{script}",
    )
    desktop.goto(site)
    frame = desktop.locator("iframe").element_handle().content_frame()
    wait_painted(frame)
    frame.wait_for_function("() => Flipshelf.player.share.host !== null")  # it said hello
    frame.evaluate("Flipshelf.player.act('next')")
    wait_settled(frame, "2,3")
    desktop.wait_for_function("() => location.hash === '#page=2'")  # the host's own URL
    # The share link is the host page's, at the reader's page.
    assert frame.evaluate("Flipshelf.player.share.url()") == site + "#page=2"
    shot(desktop)
    # The host page opened at #page=4 sends the player there.
    desktop.goto("about:blank")
    desktop.goto(site + "#page=4")
    frame = desktop.locator("iframe").element_handle().content_frame()
    wait_painted(frame)
    wait_settled(frame, "4,5")
    assert_clean(frame)


def test_messages_from_other_windows_are_ignored(books: Books, desktop: Any) -> None:
    frame = open_widget(desktop, books, books.text)
    # The player is the top window here: a "go" from itself is not from a parent.
    frame.evaluate("window.postMessage({flipshelf: 1, type: 'go', page: 4}, '*')")
    frame.evaluate("window.postMessage({flipshelf: 1, type: 'hello'}, '*')")
    frame.wait_for_function("() => true")
    assert frame.evaluate("Flipshelf.player.share.host") is None
    wait_settled(frame, "1")


def test_manifests_and_text_travel_compressed_from_the_running_app(
    books: Books, desktop: Any
) -> None:
    base = f"{books.library.url}/f/{book_of(books.big)}"
    gzip = {"Accept-Encoding": "gzip"}
    with httpx.Client(timeout=30) as client:
        manifest = client.get(f"{base}/manifest.json", headers=gzip)
        assert manifest.headers["content-encoding"] == "gzip"
        wire = manifest.num_bytes_downloaded  # what crossed the network, before decoding
        assert wire * 5 < len(manifest.content), (wire, len(manifest.content))
        text = client.get(f"{base}/text/all.json", headers=gzip)
        assert text.headers["content-encoding"] == "gzip"
        assert "immutable" in text.headers["cache-control"]
        image = client.get(f"{base}/pages/0001-normal.jpg", headers=gzip)
        assert "content-encoding" not in image.headers
    # The player's own requests, as the browser made them.
    frame = open_widget(desktop, books, books.big)
    sizes = frame.evaluate(
        """() => performance.getEntriesByType('resource')
              .filter((e) => e.name.includes('manifest.json'))
              .map((e) => [e.encodedBodySize, e.decodedBodySize])"""
    )
    assert sizes and all(0 < wire * 5 < whole for wire, whole in sizes), sizes


def test_the_collection_page_shows_the_player_and_the_text(
    books: Books, browser: Any, shot: Shot
) -> None:
    embed = books.library.api.get("collection.getEmbed", collectionHash=hash_of(books.text))
    page = new_page(browser, bypass_csp=True)  # to inject axe
    try:
        response = page.goto(embed["pageUrl"])
        assert response is not None and response.status == 200
        assert page.title() == "Animals"
        og = page.locator('meta[property="og:image"]').get_attribute("content")
        assert og is not None and og.endswith("/pages/0001-normal.jpg")
        assert "dromedary" in page.locator("#b1-p4").inner_text()
        frame = page.locator("iframe").element_handle().content_frame()
        wait_painted(frame)
        shot(page)
        if AXE.exists():
            page.add_script_tag(path=str(AXE))
            found = page.evaluate("async () => (await axe.run(document)).violations")
            serious = [v["id"] for v in found if v["impact"] in ("serious", "critical")]
            assert serious == []
    finally:
        page.context.close()


@pytest.mark.skipif(not AXE.exists(), reason="axe-core is missing: run scripts/install-browser.sh")
def test_axe_finds_no_serious_problems_in_the_compact_layout(
    books: Books, browser: Any, shot: Shot
) -> None:
    phone = new_page(
        browser,
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        bypass_csp=True,  # to inject axe itself
    )
    try:
        open_widget(phone, books, books.shelf)
        phone.add_script_tag(path=str(AXE))
        found: list[Any] = []
        for panel in (None, "menu", "search", "share"):
            if panel == "share":
                phone.evaluate("Flipshelf.player.share.share()")
                phone.locator("#fs-share-url").wait_for()
            elif panel:
                phone.locator(f'.fs-toolbar [data-panel="{panel}"]').click()
            result = phone.evaluate("async () => (await axe.run(document)).violations")
            found += [(panel, v["id"]) for v in result if v["impact"] in ("serious", "critical")]
            phone.keyboard.press("Escape")  # a panel covers a phone's stage: close it first
        shot(phone)
        assert found == []
    finally:
        phone.context.close()
