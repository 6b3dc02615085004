"""Fingers and pointers on the book, with realistic timings: taps of 60-150 ms (page-flip's own
timers made those do nothing), also with the CPU slowed four times; swipes; a held drag of the
corner; double taps, double clicks and Ctrl + wheel to zoom. Touch input goes through CDP with
explicit event times (helpers.Finger), so the gesture is the same on a busy machine; every wait
is on the player's state."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import Books, Shot
from tests.browser.helpers import (
    Finger,
    assert_clean,
    new_phone,
    open_widget,
    pages,
    pages_rect,
    wait_settled,
)

# A phone upright (one page at a time) and on its side (spreads).
PHONES = {"upright": (390, 844, ["1", "2", "3", "4"]), "side": (844, 390, ["1", "2,3", "4,5"])}


@pytest.mark.parametrize("rate", [1, 4], ids=["cpu-x1", "cpu-slowed-x4"])
@pytest.mark.parametrize("held", PHONES, ids=list(PHONES))
def test_short_taps_on_the_outer_part_of_the_page_turn_it(
    books: Books, browser: Any, shot: Shot, held: str, rate: int
) -> None:
    width, height, steps = PHONES[held]
    phone = new_phone(browser, width, height)
    try:
        frame = open_widget(phone, books, books.text)
        finger = Finger(phone)
        finger.throttle(rate)
        for duration, expected in zip((60, 150, 100), steps[1:], strict=False):
            rect = pages_rect(frame)
            finger.tap(rect["x"] + rect["width"] * 0.88, rect["y"] + rect["height"] * 0.6, duration)
            wait_settled(frame, expected)
        rect = pages_rect(frame)
        finger.tap(rect["x"] + rect["width"] * 0.1, rect["y"] + rect["height"] * 0.4, 80)
        wait_settled(frame, steps[-2])  # the left part turns back
        shot(phone, f"{held}-x{rate}")
        assert_clean(frame)
    finally:
        phone.context.close()


def test_a_tap_in_the_middle_turns_nothing_and_a_tap_on_a_link_follows_it(
    books: Books, browser: Any
) -> None:
    phone = new_phone(browser, 390, 844)
    try:
        frame = open_widget(phone, books, books.text)
        finger = Finger(phone)
        rect = pages_rect(frame)
        finger.tap(rect["x"] + rect["width"] / 2, rect["y"] + rect["height"] / 2, 100)
        # The middle shows or hides the controls; it is never a turn (none starts).
        assert not frame.evaluate("Flipshelf.player.book.isFlipping()")
        assert pages(frame) == "1"
        link = phone.locator('a.fs-link[data-page="3"]').bounding_box()
        finger.tap(link["x"] + link["width"] / 2, link["y"] + link["height"] / 2, 90)
        wait_settled(frame, "3")  # the internal link's page, not a turn to page 2
        assert_clean(frame)
    finally:
        phone.context.close()


def test_swipes_turn_both_ways_and_a_held_drag_of_the_corner_turns(
    books: Books, browser: Any, shot: Shot
) -> None:
    phone = new_phone(browser, 390, 844)
    try:
        frame = open_widget(phone, books, books.text, "startPage=2")
        finger = Finger(phone)
        rect = pages_rect(frame)
        left, right = rect["x"] + rect["width"] * 0.2, rect["x"] + rect["width"] * 0.8
        middle = rect["y"] + rect["height"] / 2
        finger.swipe(right, left, middle)
        wait_settled(frame, "3")
        finger.swipe(left, right, middle)
        wait_settled(frame, "2")
        # Held still for 400 ms, then dragged across: page-flip's fold follows the finger.
        finger.swipe(rect["x"] + rect["width"] * 0.95, rect["x"] + 5, rect["y"] + 20, step_ms=80)
        wait_settled(frame, "3")
        shot(phone)
        assert_clean(frame)
    finally:
        phone.context.close()


def test_double_tap_zooms_in_where_the_finger_is_and_out_again(
    books: Books, browser: Any, shot: Shot
) -> None:
    phone = new_phone(browser, 390, 844)
    try:
        frame = open_widget(phone, books, books.text, "startPage=2")
        finger = Finger(phone)
        finger.throttle(4)
        rect = pages_rect(frame)
        # A point in the page's upper middle: once zoomed, that part of the page is in view.
        x, y = rect["x"] + rect["width"] * 0.5, rect["y"] + rect["height"] * 0.3
        finger.double_tap(x, y)
        phone.wait_for_function("() => document.documentElement.dataset.zoom === '2'")
        view = phone.evaluate(
            """() => { const v = document.getElementById('fs-zoom'), all = v.scrollHeight;
                       return [v.scrollTop / all, (v.scrollTop + v.clientHeight) / all]; }"""
        )
        assert view[0] < 0.3 < view[1] + 0.05, view  # the tapped point stays in view
        shot(phone)
        finger.double_tap(x, y)
        phone.wait_for_function("() => !document.documentElement.dataset.zoom")
        assert pages(frame) == "2"  # zooming never turned the page
        assert_clean(frame)
    finally:
        phone.context.close()


def test_double_click_and_ctrl_wheel_zoom_on_a_desktop(
    books: Books, desktop: Any, shot: Shot
) -> None:
    frame = open_widget(desktop, books, books.text, "startPage=2")
    rect = pages_rect(frame)
    x, y = rect["x"] + rect["width"] * 0.5, rect["y"] + rect["height"] * 0.5
    desktop.mouse.dblclick(x, y)
    desktop.wait_for_function("() => document.documentElement.dataset.zoom === '2'")
    assert pages(frame) == "2,3"  # a double click in the middle zooms, it never turns
    desktop.mouse.dblclick(x, y)
    desktop.wait_for_function("() => !document.documentElement.dataset.zoom")
    desktop.mouse.move(x, y)
    desktop.keyboard.down("Control")
    desktop.mouse.wheel(0, -120)
    desktop.keyboard.up("Control")
    desktop.wait_for_function("() => Number(document.documentElement.dataset.zoom) > 1")
    shot(desktop)
    desktop.keyboard.down("Control")
    desktop.mouse.wheel(0, 120)
    desktop.keyboard.up("Control")
    desktop.wait_for_function("() => !document.documentElement.dataset.zoom")
    assert desktop.evaluate("window.visualViewport.scale") == 1  # the browser never zoomed
    wait_settled(frame, "2,3")
    assert_clean(frame)
