"""Logos and backgrounds: re-encoded upright, without metadata, within size and pixel limits."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from flipshelf.conversion import UnsupportedDocument, errors, reencode_image


def test_a_jpeg_logo_is_turned_upright_and_loses_its_exif(
    documents: dict[str, Path], tmp_path: Path
) -> None:
    result = reencode_image(documents["exif_jpeg"], tmp_path / "logo", max_side=1000)
    assert (result.format, result.content_type, result.width, result.height) == (
        "jpeg", "image/jpeg", 200, 300,
    )  # fmt: skip
    with Image.open(tmp_path / "logo") as image:
        assert (image.format, image.size) == ("JPEG", (200, 300))
        assert not image.getexif()
        assert "icc_profile" not in image.info
        red, _, blue = image.getpixel((100, 40))
    assert red > 200 and blue < 60  # red on top, as a camera shows it


def test_a_transparent_png_stays_png_and_is_shrunk_to_the_longest_side(
    documents: dict[str, Path], tmp_path: Path
) -> None:
    result = reencode_image(documents["png"], tmp_path / "background", max_side=300)
    assert (result.format, result.width, result.height) == ("png", 200, 300)
    with Image.open(tmp_path / "background") as image:
        assert (image.format, image.mode, image.size) == ("PNG", "RGBA", (200, 300))
        assert image.getpixel((2, 2))[3] == 0  # the transparent border survives


@pytest.mark.parametrize("name", ["gif", "webp"])
def test_gif_and_webp_logos_become_png(
    documents: dict[str, Path], tmp_path: Path, name: str
) -> None:
    result = reencode_image(documents[name], tmp_path / "logo", max_side=4000)
    with Image.open(tmp_path / "logo") as image:
        assert image.format == "PNG"
        assert image.size == (result.width, result.height)


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("bomb", errors.IMAGE_TOO_LARGE),
        ("truncated_jpeg", errors.CORRUPT_IMAGE),
        ("text", errors.NOT_AN_IMAGE),
        ("not_a_pdf", errors.NOT_AN_IMAGE),
    ],
)
def test_bombs_broken_files_and_non_images_are_refused(
    documents: dict[str, Path], tmp_path: Path, name: str, reason: str
) -> None:
    with pytest.raises(UnsupportedDocument) as refused:
        reencode_image(documents[name], tmp_path / "logo", max_side=1000)
    assert refused.value.reason == reason
    assert not (tmp_path / "logo").exists()
