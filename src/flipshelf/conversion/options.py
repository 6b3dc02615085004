"""The knobs of a conversion, with defaults measured on 2 cores (see docs/conversion.md).

The caller builds these from its settings; this package reads no settings or environment itself.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Literal

from PIL import Image

SizeName = Literal["thumb", "normal", "zoom"]


@dataclass(frozen=True)
class ImageSize:
    """One of the page image sizes: target height in pixels and JPEG quality."""

    name: SizeName
    height: int
    quality: int


# JPEG, not WebP: measured on real manuals and maps, Pillow encodes a 1100 px page as JPEG in about
# 2 ms and as WebP in 40-50 ms (15 ms at method 0), which would make encoding, not rendering, the
# cost of a conversion. WebP files were 40% smaller; revisit for the zoom pass if bandwidth matters.
THUMB = ImageSize("thumb", 200, 75)
NORMAL = ImageSize("normal", 1100, 80)
ZOOM = ImageSize("zoom", 2200, 80)


@dataclass(frozen=True)
class ResourceLimits:
    """Limits applied to every worker process of one conversion.

    memory_bytes: address space (RLIMIT_AS) of each worker; None for no limit.
    cpu_seconds: CPU time (RLIMIT_CPU) of each worker over the whole call; None for no limit.
    wall_seconds: deadline for the whole call, measured by the parent; None for no limit.
    """

    memory_bytes: int | None = 1536 * 1024 * 1024
    cpu_seconds: int | None = 600
    wall_seconds: float | None = 1800.0

    def to_json(self) -> dict[str, Any]:
        return {
            "memory_bytes": self.memory_bytes,
            "cpu_seconds": self.cpu_seconds,
            "wall_seconds": self.wall_seconds,
        }


def default_workers() -> int:
    """The CPUs this process may run on: one worker per core renders one document fastest."""
    return max(1, len(os.sched_getaffinity(0)))


@dataclass(frozen=True)
class ConversionOptions:
    """How to convert one document.

    max_pages: the page limit (API code 35), checked before anything is rendered.
    max_page_pixels: pixel budget of one page image; a page that would need more is rendered
        smaller, aspect kept (a 200-inch poster page costs what an ordinary page does).
    max_image_pixels: largest raster image (document or embedded logo) decoded at all.
    workers: processes rendering one document in parallel.
    manifest_interval: seconds between manifest rewrites while pages complete (the first page and
        the last are always written at once).
    """

    max_pages: int = 1000
    max_page_pixels: int = 16_000_000
    max_image_pixels: int = Image.MAX_IMAGE_PIXELS or 89_478_485
    workers: int = field(default_factory=default_workers)
    manifest_interval: float = 0.5
    limits: ResourceLimits = field(default_factory=ResourceLimits)
    thumb: ImageSize = THUMB
    normal: ImageSize = NORMAL
    zoom: ImageSize = ZOOM
