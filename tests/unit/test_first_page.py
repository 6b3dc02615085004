"""The plain first page's geometry and stylesheet (player/first_page.py) and the widget's policy
allowing exactly that stylesheet; where it lands in a browser: tests/browser/test_first_paint.py."""

from __future__ import annotations

import base64
import hashlib

from flipshelf.conversion.manifest import Manifest, Page, PageImage
from flipshelf.player.first_page import FirstPage, placement_css, spread_side
from flipshelf.web.opening_page import page_geometry
from flipshelf.web.widget import content_security_policy


def book(pages_ready: int, failed: int | None = None) -> Manifest:
    def page(n: int) -> Page:
        if n > pages_ready:
            return Page(n, 600, 800)
        if n == failed:
            return Page(n, 600, 800, failed="damaged")
        width = 800 if n == 3 else 600  # page 3 is landscape
        image = PageImage(f"pages/{n:04d}-normal.jpg", 1100 if n == 3 else 825, 1100)
        return Page(n, width, 800, images={"normal": image}, text=f"text/{n:04d}.txt")

    return Manifest(kind="pdf", pages=tuple(page(n) for n in range(1, 6)), pages_ready=pages_ready)


def test_geometry_only_for_a_ready_drawn_page() -> None:
    geometry = page_geometry(book(5), 3)
    assert geometry is not None
    assert (geometry.book_ratio, geometry.page_ratio) == (0.75, 1.0)
    assert (geometry.image_width, geometry.image_height) == (1100, 1100)
    assert page_geometry(book(2), 3) is None  # not converted yet: the placeholder shows
    assert page_geometry(book(5, failed=2), 2) is None  # could not be drawn
    assert page_geometry(book(5), 0) is None
    assert page_geometry(book(5), 6) is None


def test_spread_sides_follow_page_flip_and_mirror_right_to_left() -> None:
    assert [spread_side(n, rtl=False) for n in (1, 2, 3, 4)] == ["right", "left", "right", "left"]
    assert [spread_side(n, rtl=True) for n in (1, 2, 3, 4)] == ["left", "right", "left", "right"]


def test_the_stylesheet_is_numbers_only_and_its_hash_is_in_the_policy() -> None:
    geometry = page_geometry(book(5), 3)
    assert geometry is not None
    css = placement_css(geometry, "right")
    # Nothing autoescape would change (the hash is of the text as the page carries it).
    assert not set("<>&\"'") & set(css)
    assert "min-aspect-ratio:1.2/1" in css  # a spread from 1.6 x the page shape (0.75)
    assert "*0.75)" in css  # the landscape page fits the book's page width, shorter
    first = FirstPage(
        src="../f/x/pages/0003-normal.jpg", alt="A, page 3", width=1, height=1, style=css
    )
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    assert first.style_hash == f"'sha256-{digest}'"
    policy = content_security_policy(None, (first.style_hash,))
    style_src = next(d for d in policy.split("; ") if d.startswith("style-src"))
    assert style_src.endswith(first.style_hash)
