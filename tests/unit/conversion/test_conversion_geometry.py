from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flipshelf.conversion.geometry import MAX_IMAGE_SIDE, PixelSize, fit_page, relative_rect

points = st.floats(min_value=1.0, max_value=14_400.0)
heights = st.integers(min_value=50, max_value=3000)
budgets = st.integers(min_value=10_000, max_value=40_000_000)


def test_an_a4_page_gets_the_target_height_and_its_aspect() -> None:
    assert fit_page(595.0, 842.0, 1100, 16_000_000) == PixelSize(777, 1100)


def test_a_page_over_the_pixel_budget_is_scaled_down_whole() -> None:
    size = fit_page(14_400.0, 1_000.0, 1100, 1_000_000)
    assert size.pixels <= 1_000_000
    assert size.width / size.height == pytest.approx(14.4, rel=0.01)


def test_a_raster_page_is_never_enlarged() -> None:
    assert fit_page(300.0, 200.0, 1100, 16_000_000, allow_upscale=False) == PixelSize(300, 200)


@given(points, points, heights, budgets)
def test_images_fit_every_limit(width: float, height: float, target: int, budget: int) -> None:
    size = fit_page(width, height, target, budget)
    assert size.height <= target
    assert size.pixels <= budget or min(size.width, size.height) == 1
    assert max(size.width, size.height) <= MAX_IMAGE_SIDE


@given(points, points, heights, budgets)
def test_images_keep_the_page_aspect(width: float, height: float, target: int, budget: int) -> None:
    size = fit_page(width, height, target, budget)
    if min(size.width, size.height) > 1:
        # Both sides are whole pixels, each within a pixel of one common scale s: the scales each
        # side allows, (W-1)/width..(W+1)/width and the same for H, must overlap.
        low = max((size.width - 1) / width, (size.height - 1) / height)
        high = min((size.width + 1) / width, (size.height + 1) / height)
        assert low <= high * (1 + 1e-9)


@given(points, points, heights)
def test_within_budget_the_height_is_the_target(width: float, height: float, target: int) -> None:
    if width / height * target < MAX_IMAGE_SIDE * 0.99:
        assert fit_page(width, height, target, 10**9).height == target


def test_relative_rect_orders_and_clips_corners() -> None:
    assert relative_rect(((0.5, 0.9), (0.25, -0.5))) == (0.25, 0.0, 0.5, 0.9)


def test_relative_rect_drops_areas_off_the_page_or_empty() -> None:
    assert relative_rect(((1.2, 0.1), (1.5, 0.2))) is None
    assert relative_rect(((0.2, 0.1), (0.2, 0.5))) is None
