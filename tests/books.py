"""Converted flipbooks made directly in a file store (page images, text, manifest, as the
converter names them), for tests and benchmarks that need many pages without converting."""

from __future__ import annotations

import io
import json
import tempfile
from pathlib import Path

from PIL import Image

from flipshelf.conversion.manifest import (
    MANIFEST_NAME,
    TEXT_INDEX_NAME,
    Link,
    Manifest,
    OutlineEntry,
    Page,
    PageImage,
)
from flipshelf.conversion.pages import image_name, text_name
from flipshelf.domain.layout import book_file
from flipshelf.services.ports import FileStore

SIZES = {"thumb": 200, "normal": 1100, "zoom": 2200}


def jpeg(width: int, height: int, shade: int, noise: bool = False) -> bytes:
    """A JPEG page; with `noise`, about as large as a real page image of that size."""
    image = Image.new("RGB", (width, height), (shade, 255 - shade, 128))
    if noise:
        image = Image.merge(
            "RGB", [Image.effect_noise((width, height), 64 + 16 * i) for i in range(3)]
        )
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


def page_text(number: int) -> str:
    return f"Page {number} of the synthetic book. Word{number:04d} appears only here."


def write_book(
    files: FileStore,
    flipbook_hash: str,
    pages: int,
    *,
    texts: list[str] | None = None,
    sizes: tuple[str, ...] = ("thumb", "normal"),
    realistic: bool = False,
) -> Manifest:
    """Stores a COMPLETE flipbook's files under the flipbook's prefix; answers its manifest.
    `realistic`: page images of real-page size (for benchmarks), else tiny ones."""
    texts = texts or [page_text(n) for n in range(1, pages + 1)]
    cache: dict[str, bytes] = {}
    entries = []
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)

        def put(name: str, data: bytes) -> None:
            path = work / "f"
            path.write_bytes(data)
            files.put_file(book_file(flipbook_hash, name), path)

        for number in range(1, pages + 1):
            images = {}
            for size in sizes:
                height = SIZES[size] if realistic else 40
                width = int(height * 0.707)
                if size not in cache:
                    cache[size] = jpeg(width, height, 40 + number % 200, noise=realistic)
                name = image_name(number, pages, _size(size))
                put(name, cache[size])
                images[size] = PageImage(name, width, height)
            text_file = text_name(number, pages)
            put(text_file, texts[number - 1].encode())
            links: tuple[Link, ...] = ()
            if number == 1 and pages > 1:
                links = (
                    Link((0.1, 0.1, 0.5, 0.2), uri="https://example.org/flipshelf"),
                    Link((0.1, 0.8, 0.4, 0.9), page=pages),
                )
            entries.append(Page(number, 595.0, 842.0, images, text_file, links))
        outline = (OutlineEntry("Start", 1, (OutlineEntry("End", pages),)),)
        manifest = Manifest(
            kind="pdf",
            pages=tuple(entries),
            outline=outline,
            pages_ready=pages,
            zoom_ready=pages if "zoom" in sizes else 0,
            text_index=TEXT_INDEX_NAME,
        )
        put(TEXT_INDEX_NAME, json.dumps(texts).encode())
        put(MANIFEST_NAME, json.dumps(manifest.to_json()).encode())
    return manifest


def _size(name: str):  # type: ignore[no-untyped-def]
    from flipshelf.conversion.options import NORMAL, THUMB, ZOOM

    return {"thumb": THUMB, "normal": NORMAL, "zoom": ZOOM}[name]
