"""What the browser scenarios share: opening the player, reading its state, and touching it
the way fingers do (CDP touch events). Waits are for states the player exposes (`data-painted`,
`data-pages`, `data-zoom` on <html>, `Flipshelf.player`), never for a length of time."""

from __future__ import annotations

import time
from typing import Any

from tests.browser.conftest import Books, new_page

READ = "() => document.documentElement.dataset.painted === 'true'"
# The pages in view are `want` and nothing is turning (a turn that would follow has begun).
SETTLED = """want => document.documentElement.dataset.pages === want
    && !Flipshelf.player.book.isFlipping() && Flipshelf.player.book.heading === null"""
TOUCH = "Input.dispatchTouchEvent"


def hash_of(collection: dict[str, Any]) -> str:
    value: str = collection["collectionHash"]
    return value


def book_of(collection: dict[str, Any], n: int = 0) -> str:
    value: str = collection["collectionItems"][n]["flipbookHash"]
    return value


def wait_painted(frame: Any) -> None:
    frame.wait_for_function(READ)


def wait_pages(frame: Any, expected: str) -> None:
    frame.wait_for_function("want => document.documentElement.dataset.pages === want", arg=expected)


def wait_settled(frame: Any, expected: str) -> None:
    """The pages in view are `expected` and no turn is running or about to."""
    frame.wait_for_function(SETTLED, arg=expected)


def wait_pages_for(frame: Any, expected: str, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if pages(frame) == expected:
            return True
        time.sleep(0.05)
    return False


def pages(frame: Any) -> str:
    value: str = frame.evaluate("document.documentElement.dataset.pages")
    return value


def assert_clean(frame: Any) -> None:
    """No Content-Security-Policy violation and no script error in the player."""
    watched = frame.evaluate("window.__fs")
    assert watched == {"csp": [], "errors": []}, watched


def open_widget(page: Any, books: Books, collection: dict[str, Any], query: str = "") -> Any:
    page.goto(books.library.widget(hash_of(collection), query))
    wait_painted(page)
    return page.main_frame


def book_area(frame: Any) -> dict[str, float]:
    box: dict[str, float] = frame.locator("#fs-book-area").bounding_box()
    return box


def pages_rect(frame: Any) -> dict[str, float]:
    """Where the page(s) in view are drawn, in the frame's coordinates."""
    rect: dict[str, float] = frame.evaluate(
        """() => { const r = Flipshelf.player.book.pagesRect();
                   return {x: r.left, y: r.top, width: r.width, height: r.height}; }"""
    )
    return rect


def new_phone(browser: Any, width: int = 375, height: int = 667, density: float = 2) -> Any:
    """A touch screen at twice the pixel density (or `density`), as a phone shows the widget."""
    return new_page(
        browser,
        viewport={"width": width, "height": height},
        device_scale_factor=density,
        is_mobile=True,
        has_touch=True,
    )


class Finger:
    """CDP touch input with explicit event times, so a gesture's timing is what the test says
    however busy the machine is (the player reads event.timeStamp, not the clock)."""

    def __init__(self, page: Any) -> None:
        self.cdp = page.context.new_cdp_session(page)
        self.clock = time.time()

    def _send(self, kind: str, points: list[dict[str, float]], after_ms: float) -> None:
        self.clock += after_ms / 1000
        self.cdp.send(TOUCH, {"type": kind, "touchPoints": points, "timestamp": self.clock})

    def tap(self, x: float, y: float, ms: float = 100) -> None:
        self.clock = max(self.clock, time.time())
        self._send("touchStart", [{"x": x, "y": y}], 0)
        self._send("touchEnd", [], ms)

    def double_tap(self, x: float, y: float) -> None:
        self.tap(x, y, 60)
        self._send("touchStart", [{"x": x, "y": y}], 90)
        self._send("touchEnd", [], 60)

    def swipe(self, start: float, end: float, y: float, step_ms: float = 20) -> None:
        """Touch down, five moves `step_ms` apart, lift: about a finger's flick."""
        self.clock = max(self.clock, time.time())
        self._send("touchStart", [{"x": start, "y": y}], 0)
        for step in range(1, 6):
            x = start + (end - start) * step / 5
            self._send("touchMove", [{"x": x, "y": y}], step_ms)
        self._send("touchEnd", [], step_ms)

    def drag_vertically(self, x: float, start: float, end: float) -> None:
        """A thumb scrolling: down, ten moves 16 ms apart from `start` to `end`, up."""
        self.clock = max(self.clock, time.time())
        self._send("touchStart", [{"x": x, "y": start}], 0)
        for step in range(1, 11):
            self._send("touchMove", [{"x": x, "y": start + (end - start) * step / 10}], 16)
        self._send("touchEnd", [], 16)

    def pinch(self, x: float, y: float, start_gap: float, end_gap: float) -> None:
        """Two fingers, one landing after the other, level around (x, y), moving from
        `start_gap` to `end_gap` apart in five steps 20 ms apart, then lifted."""

        def fingers(gap: float) -> list[dict[str, float]]:
            return [{"x": x - gap / 2, "y": y, "id": 0}, {"x": x + gap / 2, "y": y, "id": 1}]

        self.clock = max(self.clock, time.time())
        self._send("touchStart", fingers(start_gap)[:1], 0)
        self._send("touchStart", fingers(start_gap), 10)
        for step in range(1, 6):
            self._send("touchMove", fingers(start_gap + (end_gap - start_gap) * step / 5), 20)
        self._send("touchEnd", [], 20)

    def throttle(self, rate: float) -> None:
        self.cdp.send("Emulation.setCPUThrottlingRate", {"rate": rate})
