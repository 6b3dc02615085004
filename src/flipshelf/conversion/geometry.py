"""Pure size arithmetic: how many pixels each page image gets, and page-relative rectangles.

Kept free of PDFium and Pillow so the rules (aspect kept, pixel budget, side limit) are unit-tested
with property tests.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# JPEG cannot hold more than 65,535 pixels on a side, and browsers refuse to decode or scale far
# smaller images than that; 16,384 is what every current browser draws.
MAX_IMAGE_SIDE = 16_384


@dataclass(frozen=True)
class PixelSize:
    """The size of one page image, in pixels."""

    width: int
    height: int

    @property
    def pixels(self) -> int:
        return self.width * self.height


def fit_page(
    page_width: float,
    page_height: float,
    target_height: int,
    max_pixels: int,
    *,
    allow_upscale: bool = True,
) -> PixelSize:
    """The pixel size of a page image about `target_height` tall, keeping the page's aspect ratio.

    Shrunk (aspect still kept) when it would exceed `max_pixels` or `MAX_IMAGE_SIDE`, so a freak
    page (a 200-inch strip, a poster) costs no more memory than an ordinary one. `allow_upscale`
    is False for raster sources, whose pixels gain nothing by being enlarged.
    """
    if page_width <= 0 or page_height <= 0:
        raise ValueError("page dimensions must be positive")
    scale = target_height / page_height
    if not allow_upscale:
        scale = min(scale, 1.0)
    area = page_width * page_height * scale * scale
    if area > max_pixels:
        scale *= math.sqrt(max_pixels / area)
    longest = max(page_width, page_height) * scale
    if longest > MAX_IMAGE_SIDE:
        scale *= MAX_IMAGE_SIDE / longest
    return _whole(page_width * scale, page_height * scale, max_pixels)


def _whole(width: float, height: float, max_pixels: int) -> PixelSize:
    """Nearest whole pixels (keeps a thin strip's aspect), or floored where rounding up would
    break the pixel budget or the side limit."""
    nearest = PixelSize(max(1, round(width)), max(1, round(height)))
    if nearest.pixels <= max_pixels and max(nearest.width, nearest.height) <= MAX_IMAGE_SIDE:
        return nearest
    return PixelSize(max(1, math.floor(width + 1e-6)), max(1, math.floor(height + 1e-6)))


Rect = tuple[float, float, float, float]


def relative_rect(corners: tuple[tuple[float, float], tuple[float, float]]) -> Rect | None:
    """Normalise two opposite corners given as page fractions (0..1, top-left origin).

    Returns (left, top, right, bottom) clipped to the page and rounded to 1/10,000 of it, or None
    when nothing of the rectangle is on the page. Called for every word of every page, hence
    plain comparisons rather than sorted() and min()/max().
    """
    (x0, y0), (x1, y1) = corners
    x0, x1, y0, y1 = _clip(x0), _clip(x1), _clip(y0), _clip(y1)
    left, right = (x0, x1) if x0 <= x1 else (x1, x0)
    top, bottom = (y0, y1) if y0 <= y1 else (y1, y0)
    if right - left <= 0 or bottom - top <= 0:
        return None
    # round(x * 10000) / 10000, not round(x, 4): the same to the 1/10,000 but for a rare tie,
    # at a quarter of the cost (round with digits goes through decimal strings).
    return (
        round(left * 10000) / 10000,
        round(top * 10000) / 10000,
        round(right * 10000) / 10000,
        round(bottom * 10000) / 10000,
    )


def _clip(value: float) -> float:
    return 0.0 if value < 0.0 else 1.0 if value > 1.0 else value
