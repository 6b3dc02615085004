"""The player in the slots site owners give it: the page(s) come first, the controls fit.

Each slot is measured as a reader sees it: the area of the page images drawn (clipped to the
slot) against the slot's area. Where the page's shape allows it the page(s) take at least 70% of
the slot; where no layout could (an A4 page is 0.71 as wide as tall: on a 390 x 844 screen a page
as wide as the screen covers 65% of it; a lone cover in a landscape slot, about 40%), they take
at least 90% of the largest area that page shape can have in that slot. Screenshots of every slot
land in test-artifacts/browser/."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import Books, Shot, new_page
from tests.browser.helpers import Finger, hash_of, new_phone, wait_painted
from tests.browser.library import OtherOrigin

A4 = 595.276 / 841.89
# Sum of the page images' areas inside the slot (the viewport of the frame they are in).
DRAWN = """() => {
  const w = innerWidth, h = innerHeight;
  let area = 0;
  for (const n of document.documentElement.dataset.pages.split(',')) {
    const img = document.querySelector('.fs-page[data-page="' + n + '"] img.fs-page-img');
    if (!img) continue;
    const r = img.getBoundingClientRect();
    const x = Math.max(0, Math.min(w, r.right) - Math.max(0, r.left));
    const y = Math.max(0, Math.min(h, r.bottom) - Math.max(0, r.top));
    area += x * y;
  }
  return {area: area, slot: w * h, shown: document.documentElement.dataset.pages.split(',').length,
          chrome: document.documentElement.dataset.chrome};
}"""
# Every control shown on the bar: its label and box.
CONTROLS = """() => [...document.querySelectorAll('.fs-toolbar :is(button, a, input)')]
  .filter((e) => e.offsetParent !== null)
  .map((e) => { const r = e.getBoundingClientRect();
                return [e.getAttribute('aria-label'), r.left, r.top, r.right, r.bottom]; })"""
# (name, width, height, touch): a phone upright and on its side, the default embed, a small
# embed, a desktop screen given wholly to the player (full screen).
SLOTS = [
    ("phone-390x844", 390, 844, True),
    ("phone-844x390", 844, 390, True),
    ("embed-650x385", 650, 385, False),
    ("embed-350x250", 350, 250, False),
    ("fullscreen-1280x720", 1280, 720, False),
]


def best_area(width: float, height: float, shown: int) -> float:
    """The largest area `shown` A4 pages side by side can take in a width x height slot."""
    page_width = min(width / shown, height * A4)
    return shown * page_width * (page_width / A4)


def open_slot(browser: Any, books: Books, other: OtherOrigin, slot: tuple[Any, ...]) -> Any:
    """The player in a slot: a phone opens it whole (a shared link, full screen); an embed is
    an iframe of that size on another site's page."""
    name, width, height, touch = slot
    url = books.library.widget(hash_of(books.text), "startPage=2")
    if touch or name.startswith("fullscreen"):
        page = (
            new_phone(browser, width, height)
            if touch
            else new_page(browser, viewport={"width": width, "height": height})
        )
        page.goto(url)
        wait_painted(page)
        return page, page.main_frame
    page = new_page(browser, viewport={"width": 1000, "height": 700})
    page.goto(
        other.page(
            f"/{name}.html",
            f'<iframe src="{url}" width="{width}" height="{height}" style="border:0" '
            'title="Flipbook"></iframe>',
        )
    )
    frame = page.locator("iframe").element_handle().content_frame()
    wait_painted(frame)
    return page, frame


@pytest.mark.parametrize("slot", SLOTS, ids=[s[0] for s in SLOTS])
def test_the_pages_take_the_slot_and_the_controls_fit_it(
    books: Books, browser: Any, other_origin: OtherOrigin, shot: Shot, slot: tuple[Any, ...]
) -> None:
    page, frame = open_slot(browser, books, other_origin, slot)
    try:
        name, width, height, _ = slot
        for where in ("spread", "cover"):
            if where == "cover":
                frame.evaluate("Flipshelf.player.go(1)")
                frame.wait_for_function("() => document.documentElement.dataset.pages === '1'")
            drawn = frame.evaluate(DRAWN)
            best = best_area(width, height, drawn["shown"])
            share, of_best = drawn["area"] / drawn["slot"], drawn["area"] / best
            print(f"{name} {where}: pages {share:.0%} of the slot, {of_best:.0%} of the best fit")
            assert share >= 0.70 or of_best >= 0.90, (where, share, of_best, drawn)
            if where == "spread" and best / drawn["slot"] >= 0.75:
                assert share >= 0.70, (share, drawn)
        shot(page, name)
        # Every control on the bar is inside the slot and large enough for a thumb.
        controls = frame.evaluate(CONTROLS)
        assert len(controls) >= 4, controls
        for label, left, top, right, bottom in controls:
            assert left >= 0 and top >= 0 and right <= width + 0.5 and bottom <= height + 0.5, label
            assert bottom - top >= 36 and right - left >= 36, label
        assert frame.evaluate("document.documentElement.scrollWidth") <= width
    finally:
        page.context.close()


def test_the_default_embed_fits_a_phone_without_pushing_the_page_sideways(
    books: Books, browser: Any, other_origin: OtherOrigin, shot: Shot
) -> None:
    embed = books.library.api.get("collection.getEmbed", collectionHash=hash_of(books.text))
    site = other_origin.page(
        "/phone.html",
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<p>Our spring catalogue:</p>{embed['embedCode']}"
        '<p style="height: 2000px">More of the host page below.</p>',
    )
    phone = new_phone(browser, 390, 844)
    try:
        phone.goto(site)
        frame = phone.locator("iframe").element_handle().content_frame()
        wait_painted(frame)
        box = phone.locator("iframe").bounding_box()
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390
        assert abs(box["width"] / box["height"] - 650 / 385) < 0.02  # the collection's shape
        assert phone.locator("iframe").get_attribute("title") == "Flipbook: Animals"
        shot(phone)
        # A thumb moving up over the flipbook scrolls the page around it; nothing turns.
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] * 0.8
        Finger(phone).drag_vertically(x, y, y - 150)
        phone.wait_for_function("() => window.scrollY > 0")
        assert not frame.evaluate("Flipshelf.player.book.isFlipping()")
        assert frame.evaluate("document.documentElement.dataset.pages") == "1"
    finally:
        phone.context.close()
