"""The opening page as a plain `<img>` in the player's HTML, painted before any script runs.

The page-turn engine (page-flip and the player's scripts) takes seconds on a slow phone link
and 300-400 ms on a desktop to draw its first page; the page image itself arrives long before.
So the server puts the opening page in the page as an ordinary image, at the very position and
size the engine will draw it, and the player removes it once the engine's own page has painted
(docs/player.md, "First paint").

Where the engine draws a page depends on the slot, which the server never knows: one page or a
spread (book.js `wantsSpread`: a spread when the book area is at least 1.6 times as wide, in
page shapes, as it is tall), then page-flip's "stretch" fit. That is CSS: a container query on
the book area's aspect ratio and container units for the fit. The numbers in it (the book's page
shape, where the opening page sits in a spread) belong to the book, so the rules are made here,
per page, as a `<style>` element whose hash the widget's Content-Security-Policy allows.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

# book.js `wantsSpread`: two pages when each is at least 80% as large as one page alone, which
# for a book of page shape r (width / height) holds exactly when area width / height >= 1.6 r.
SPREAD_SHARE = 0.8


@dataclass(frozen=True)
class PageGeometry:
    """What the plain image needs from a book's manifest (web/opening_page.py reads it): the
    book's page shape (its first page's, as page-flip is given), the opening page's own shape,
    and its normal image's size."""

    book_ratio: float
    page_ratio: float
    image_width: int
    image_height: int


@dataclass(frozen=True)
class FirstPage:
    """The plain image: its URL (built by the server), alt text (the owner's title: autoescaped
    by the template), intrinsic size, and the stylesheet that places it."""

    src: str
    alt: str
    width: int
    height: int
    style: str

    @property
    def style_hash(self) -> str:
        """The CSP source that allows exactly this `<style>` element."""
        digest = hashlib.sha256(self.style.encode()).digest()
        return f"'sha256-{base64.b64encode(digest).decode()}'"


def spread_side(number: int, rtl: bool) -> str:
    """Which half of a spread page `number` takes: page-flip with `showCover` shows index 0 alone
    on the right, then pairs (odd index left, even right). A right-to-left book gets its pages in
    reverse order (padded to an even count in spreads): everything mirrors."""
    right = number % 2 == 1
    if rtl:
        right = not right
    return "right" if right else "left"


def _number(value: float) -> str:
    return f"{value:.6f}".rstrip("0").rstrip(".")


def placement_css(geometry: PageGeometry, side: str) -> str:
    """Rules that put `#fs-first-img` where the engine draws the page, inside `.fs-first` (the
    book area's size container, player.css). `--fs-pw` is the page slot's width; the image is
    fitted inside the slot like book.js `boxOf` fits pages of another shape."""
    r = geometry.book_ratio
    if geometry.page_ratio >= r:
        box_w, box_h = 1.0, r / geometry.page_ratio
    else:
        box_w, box_h = geometry.page_ratio / r, 1.0
    n, bw, bh = _number(r), _number(box_w), _number(box_h)
    spread = _number(r * 2 * SPREAD_SHARE)
    offset = "50cqw" if side == "right" else "50cqw - var(--fs-pw)"
    return (
        "#fs-first-img{"
        f"--fs-pw:min(100cqw,100cqh*{n});--fs-x:calc((100cqw - var(--fs-pw))/2);"
        f"width:calc(var(--fs-pw)*{bw});height:calc(var(--fs-pw)/{n}*{bh});"
        f"left:calc(var(--fs-x) + var(--fs-pw)*(1 - {bw})/2);"
        f"top:calc((100cqh - var(--fs-pw)/{n}*{bh})/2)"
        "}"
        f"@container (min-aspect-ratio:{spread}/1){{#fs-first-img{{"
        f"--fs-pw:min(50cqw,100cqh*{n});--fs-x:calc({offset})"
        "}}"
    )
