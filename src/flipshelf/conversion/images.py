"""Raster images with Pillow: open safely, orient, flatten, re-encode; images as one-page documents.

Opening refuses decompression bombs *including* those between 1x and 2x the pixel limit, where
Pillow only warns; the size is checked from the header, before a single pixel is decoded.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from flipshelf.conversion import errors
from flipshelf.conversion.geometry import PixelSize
from flipshelf.conversion.manifest import Link, OutlineEntry, Word
from flipshelf.conversion.sniff import ImageKind, as_image_kind, sniff_file

# The decoder is chosen by the sniffed type, so a file never reaches a decoder other than the one
# its first bytes announced (Pillow would otherwise try every plugin it has).
_PILLOW_FORMATS: dict[ImageKind, str] = {"jpg": "JPEG", "png": "PNG", "gif": "GIF", "webp": "WEBP"}
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, UnidentifiedImageError)
_SRGB = ImageCms.createProfile("sRGB")


def open_image(path: Path, max_pixels: int, accept: frozenset[ImageKind]) -> Image.Image:
    """Decode the first frame of an image of an accepted type, upright, in RGB, RGBA or L."""
    kind = as_image_kind(sniff_file(path))
    if kind is None or kind not in accept:
        raise errors.UnsupportedDocument(_not_accepted(accept))
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        image = _decode(path, kind, max_pixels)
    return _normalise(image)


def _not_accepted(accept: frozenset[ImageKind]) -> str:
    return errors.NOT_AN_IMAGE if "gif" in accept else errors.NOT_A_DOCUMENT


def _decode(path: Path, kind: ImageKind, max_pixels: int) -> Image.Image:
    try:
        image = Image.open(path, formats=[_PILLOW_FORMATS[kind]])
        if image.width * image.height > max_pixels:
            raise errors.UnsupportedDocument(errors.IMAGE_TOO_LARGE)
        image.load()
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise errors.UnsupportedDocument(errors.IMAGE_TOO_LARGE) from None
    except _DECODE_ERRORS:
        raise errors.UnsupportedDocument(errors.CORRUPT_IMAGE) from None
    return image


def _normalise(image: Image.Image) -> Image.Image:
    """Apply EXIF orientation and convert colours to sRGB; the result carries no metadata."""
    upright = ImageOps.exif_transpose(image) or image
    profile = image.info.get("icc_profile")
    converted = _to_srgb(upright, profile) if profile else None
    if converted is None and upright.mode in ("RGB", "RGBA", "L"):
        converted = upright
    if converted is None:
        has_alpha = upright.mode in ("LA", "PA", "La", "RGBa") or "transparency" in upright.info
        converted = upright.convert("RGBA" if has_alpha else "RGB")
    # Pillow carries `info` into every image made from this one and writes some of it back on
    # save (a JPEG comment, an ICC profile): nothing of the upload's metadata may survive.
    converted.info = {}
    return converted


def _to_srgb(image: Image.Image, profile: bytes) -> Image.Image | None:
    # Print catalogues arrive as CMYK or Adobe RGB JPEGs; without their profile the colours are
    # visibly wrong once the profile is stripped. A broken profile just means no conversion.
    if image.mode not in ("RGB", "CMYK"):
        return None
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
        converted = ImageCms.profileToProfile(image, source, _SRGB, outputMode="RGB")
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return None
    return converted


def flatten(image: Image.Image) -> Image.Image:
    """The image over a white background, as RGB or L: JPEG has no alpha channel."""
    if image.mode == "RGBA":
        background = Image.new("RGB", image.size, (255, 255, 255))
        background.paste(image, mask=image.getchannel("A"))
        return background
    if image.mode in ("RGB", "L"):
        return image
    return image.convert("RGB")


def scaled(image: Image.Image, size: PixelSize) -> Image.Image:
    """`image` resized to `size`, cheaply: an integer box reduction first, then a smooth resize."""
    if (image.width, image.height) == (size.width, size.height):
        return image
    factor = min(image.width // size.width, image.height // size.height)
    if factor >= 2:
        # reduce() averages whole blocks in one pass: 3-4x cheaper than resampling a big image.
        image = image.reduce(factor)
    return image.resize((size.width, size.height), Image.Resampling.BILINEAR)


class ImageSource:
    """A JPEG or PNG document: one page, its pixels are its size, no text, no links."""

    def __init__(self, path: Path, kind: Literal["jpg", "png"], max_pixels: int) -> None:
        self.kind: str = kind
        self.page_count = 1
        self._image = flatten(open_image(path, max_pixels, frozenset({kind})))

    def page_size(self, index: int) -> tuple[float, float]:
        return float(self._image.width), float(self._image.height)

    def outline(self) -> tuple[OutlineEntry, ...]:
        return ()

    def load_page(self, index: int, drawn: bool = True) -> ImagePage:
        return ImagePage(self._image)

    def close(self) -> None:
        self._image.close()


@dataclass
class ImagePage:
    image: Image.Image

    def render(self, size: PixelSize, grayscale: bool = False) -> Image.Image:
        image = scaled(self.image, size)
        return image.convert("L") if grayscale and image.mode != "L" else image

    def text(self) -> str:
        return ""

    def words(self) -> list[Word]:
        return []

    def links(self) -> list[Link]:
        return []

    def close(self) -> None:
        """Nothing to release: the image belongs to its source."""


ReencodedFormat = Literal["png", "jpeg"]


@dataclass(frozen=True)
class ReencodedImage:
    """What `reencode_image` wrote: its format (for the file name and Content-Type) and size."""

    format: ReencodedFormat
    width: int
    height: int

    @property
    def content_type(self) -> str:
        return f"image/{self.format}"

    @property
    def extension(self) -> str:
        return "png" if self.format == "png" else "jpg"


LOGO_KINDS: frozenset[ImageKind] = frozenset({"jpg", "png", "gif", "webp"})


def reencode(src: Path, dst: Path, max_side: int, max_pixels: int) -> ReencodedImage:
    """Re-encode a logo or background: upright, sRGB, no metadata, longest side <= `max_side`.

    Lossy sources stay lossy (JPEG); images with transparency or from lossless formats become PNG,
    so a logo's hard edges are not smeared by JPEG.
    """
    kind = as_image_kind(sniff_file(src))
    image = open_image(src, max_pixels, LOGO_KINDS)
    image = _fit_within(image, max_side)
    if image.mode == "RGBA" or kind in ("png", "gif") or _is_lossless_webp(src, kind):
        image.save(dst, format="PNG", optimize=False, compress_level=6)
        return ReencodedImage("png", image.width, image.height)
    flatten(image).save(dst, format="JPEG", quality=90)
    return ReencodedImage("jpeg", image.width, image.height)


def _fit_within(image: Image.Image, max_side: int) -> Image.Image:
    longest = max(image.width, image.height)
    if longest <= max_side:
        return image
    ratio = max_side / longest
    size = PixelSize(max(1, round(image.width * ratio)), max(1, round(image.height * ratio)))
    return scaled(image, size)


def _is_lossless_webp(path: Path, kind: ImageKind | None) -> bool:
    if kind != "webp":
        return False
    with path.open("rb") as file:
        head = file.read(16)
    return head[12:16] == b"VP8L"
