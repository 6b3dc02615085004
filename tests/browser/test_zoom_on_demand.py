"""Zoom images drawn on demand, as a phone reader meets them (issue 16): at 3x on a 390 px wide
phone at devicePixelRatio 3 the zoomed page gets an image at least as wide, in device pixels, as
it is shown; until it arrives the page keeps the image it had."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import Books, Shot
from tests.browser.helpers import assert_clean, new_phone, open_widget

SHARP = """() => {
  const img = document.querySelector("#fs-zoom img");
  if (!img || !img.complete || !img.naturalWidth) return false;
  return img.naturalWidth >= img.getBoundingClientRect().width * window.devicePixelRatio;
}"""


def test_zooming_to_3x_on_a_phone_loads_an_image_as_sharp_as_the_screen(
    books: Books, browser: Any, shot: Shot
) -> None:
    phone = new_phone(browser, 390, 844, density=3)
    asked: list[str] = []
    phone.on("request", lambda request: asked.append(request.url))
    try:
        frame = open_widget(phone, books, books.text)
        # The phone's toolbar folds the zoom buttons away; readers pinch (test_player.py).
        frame.evaluate("Flipshelf.player.zoom.set(3)")
        phone.wait_for_function("() => document.documentElement.dataset.zoom === '3'")
        first = frame.evaluate("document.querySelector('#fs-zoom img').getAttribute('src')")
        assert first  # something is shown from the start: the image the book had
        phone.wait_for_function(SHARP, timeout=60_000)
        src = frame.evaluate("document.querySelector('#fs-zoom img').getAttribute('src')")
        assert "/zoom/1-3600.jpg" in src, src
        assert sum("/zoom/1-3600.jpg" in url for url in asked) >= 1
        shot(phone)
        assert_clean(frame)
    finally:
        phone.context.close()
