"""One page in, its files out: images at each size, its text, its links. Runs in a worker process.

The normal image comes first (`convert_page`: the page is readable), the thumbnail, text and links
in a later pass (`read_page_text`), the zoom image in a later job (`zoom_page`) or when a reader
first asks for it (`draw_zoom_at`).

PDFs and images go through the same steps behind the `Source` protocol, so an image upload gives
exactly the outputs a one-page PDF would.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Protocol

from PIL import Image

from flipshelf.conversion.geometry import PixelSize, fit_page
from flipshelf.conversion.images import scaled
from flipshelf.conversion.manifest import Link, OutlineEntry, Page, PageImage, Word, write_words
from flipshelf.conversion.options import ConversionOptions, ImageSize
from flipshelf.conversion.ways import WayChooser

PAGES_DIR = "pages"
TEXT_DIR = "text"


class PageView(Protocol):
    def render(self, size: PixelSize, grayscale: bool = False) -> Image.Image: ...
    def text(self) -> str: ...
    def words(self) -> list[Word]: ...
    def links(self) -> list[Link]: ...
    def close(self) -> None: ...


class Source(Protocol):
    kind: str
    page_count: int

    def page_size(self, index: int) -> tuple[float, float]: ...
    def outline(self) -> tuple[OutlineEntry, ...]: ...
    def load_page(self, index: int, drawn: bool = True) -> PageView: ...
    def close(self) -> None: ...


def page_stem(number: int, page_count: int) -> str:
    """Zero-padded page number, so the files of a flipbook list in page order."""
    return f"{number:0{max(4, len(str(page_count)))}d}"


def image_name(number: int, page_count: int, size: ImageSize) -> str:
    return f"{PAGES_DIR}/{page_stem(number, page_count)}-{size.name}.jpg"


def text_name(number: int, page_count: int) -> str:
    return f"{TEXT_DIR}/{page_stem(number, page_count)}.txt"


def words_name(number: int, page_count: int) -> str:
    return f"{TEXT_DIR}/{page_stem(number, page_count)}-words.json"


def thumbnail_with_images(index: int) -> bool:
    """Whether page `index` (from 0) gets its thumbnail in the first pass, with its normal image.

    Only the first page: it is the collection's picture (`/c/<hash>/thumb.jpg`, the dashboard's
    tiles) from the moment the book has a page. Every other page's thumbnail is made in the
    second pass from its normal image (`read_page_text`): a reader needs the normal image to
    read, and the thumbnail (drawing or shrinking, encoding, a file) cost 10-18% of the first
    pass's CPU (issue 16)."""
    return index == 0


def convert_page(
    source: Source,
    index: int,
    out_dir: Path,
    options: ConversionOptions,
    chooser: WayChooser | None = None,
) -> Page:
    """Write the normal image of one page: all a reader needs to read it (the first page's
    thumbnail too, see `thumbnail_with_images`). Its thumbnail, text and links come in a second
    pass (`read_page_text`), once every page can be read.

    `chooser` is the worker's: it learns, page after page, the cheaper way to make the image.
    """
    width, height = source.page_size(index)
    number = index + 1
    chooser = chooser or WayChooser()
    normal_size = _fit(source, width, height, options.normal, options)
    thumb_size = _fit(source, width, height, options.thumb, options)
    view = source.load_page(index)
    try:
        way = chooser.choose()
        started = time.perf_counter()
        if way == "preview":
            normal = _preview_then_draw(view, thumb_size, normal_size)
        else:
            normal = view.render(normal_size)
        images = {"normal": _save(normal, out_dir, number, source.page_count, options.normal)}
        chooser.record(way, time.perf_counter() - started)
    finally:
        view.close()
    if thumbnail_with_images(index):
        thumb = _thumbnail(normal, thumb_size)
        images["thumb"] = _save(thumb, out_dir, number, source.page_count, options.thumb)
    return Page(number, width, height, images=images)


def read_page_text(source: Source, index: int, out_dir: Path, options: ConversionOptions) -> Page:
    """Write the thumbnail (but the first page's), the text and the word boxes of one page;
    return its entry with them and its links (the parent merges this into the page
    `convert_page` drew)."""
    width, height = source.page_size(index)
    number = index + 1
    images: dict[str, PageImage] = {}
    if not thumbnail_with_images(index):
        thumb_size = _fit(source, width, height, options.thumb, options)
        images["thumb"] = _thumbnail_of_normal(
            out_dir, number, source.page_count, thumb_size, options
        )
    view = source.load_page(index, drawn=False)
    try:
        text_file = text_name(number, source.page_count)
        (out_dir / text_file).write_text(view.text(), encoding="utf-8")
        words_file = words_name(number, source.page_count)
        write_words(out_dir / words_file, view.words())
        links = tuple(view.links())
    finally:
        view.close()
    return Page(number, width, height, images=images, text=text_file, links=links, words=words_file)


def _preview_then_draw(
    view: PageView, preview_size: PixelSize, normal_size: PixelSize
) -> Image.Image:
    """The normal image, drawn straight in grayscale when a thumbnail-sized drawing of the page
    has no colour (whose pixels average blocks of the page, so colour anywhere tints it)."""
    if is_grayscale(view.render(preview_size)):
        return view.render(normal_size, grayscale=True)
    return view.render(normal_size)


def _thumbnail(image: Image.Image, size: PixelSize) -> Image.Image:
    """`image` shrunk to `size`, grayscale when it has no colour (a page drawn in colour may
    have none)."""
    thumb = scaled(image, size)
    return _gray(thumb) if is_grayscale(thumb) else thumb


def _thumbnail_of_normal(
    out_dir: Path, number: int, page_count: int, size: PixelSize, options: ConversionOptions
) -> PageImage:
    """The thumbnail shrunk from the normal image the first pass wrote. The JPEG decoder scales
    by 1/2, 1/4 or 1/8 as it decodes (`draft`), so this costs a fraction of a full decode."""
    with Image.open(out_dir / image_name(number, page_count, options.normal)) as normal:
        normal.draft(normal.mode, (size.width, size.height))
        normal.load()
        thumb = _thumbnail(normal, size)
    return _save(thumb, out_dir, number, page_count, options.thumb)


def is_grayscale(image: Image.Image) -> bool:
    """True when every pixel has equal red, green and blue."""
    if image.mode in ("L", "1"):
        return True
    red, green, blue = image.split()[:3]
    return red.tobytes() == green.tobytes() == blue.tobytes()


def _gray(image: Image.Image) -> Image.Image:
    """A grayscale image of a colourless one: its red channel is exactly what `convert("L")`
    computes when red, green and blue are equal (the weights sum to one), at a third the cost."""
    return image if image.mode in ("L", "1") else image.getchannel(0)


def zoom_page(source: Source, index: int, out_dir: Path, options: ConversionOptions) -> PageImage:
    """Write the zoom image of one page (the slow size, done in a later pass).

    Grayscale when the page's normal image is (the normal pass decided it from the thumbnail).
    Where the normal image is not on this disk (an object store: only the manifest was fetched),
    the zoom image decides for itself, by the same rule.
    """
    width, height = source.page_size(index)
    normal = out_dir / image_name(index + 1, source.page_count, options.normal)
    grayscale = _written_in_gray(normal)
    view = source.load_page(index)
    try:
        size = _fit(source, width, height, options.zoom, options)
        image = view.render(size, bool(grayscale))
        if grayscale is None and is_grayscale(image):
            image = _gray(image)
        return _save(image, out_dir, index + 1, source.page_count, options.zoom)
    finally:
        view.close()


# An on-demand zoom image may exceed the page pixel budget by this much of its width squared, so
# an A4 page (height 1.41 widths) is drawn at the full width asked for.
ZOOM_AREA_PER_WIDTH_SQUARED = 1.5


def draw_zoom_at(
    source: Source, index: int, width: int, dst: Path, options: ConversionOptions
) -> PageImage:
    """Write page `index`'s zoom image, `width` pixels wide (aspect kept), as a JPEG at `dst`:
    the on-demand zoom image. Same quality as the zoom pass, and grayscale when the page has no
    colour, judged as the normal image is (from a thumbnail-sized drawing, which is cheap)."""
    page_width, page_height = source.page_size(index)
    budget = max(options.max_page_pixels, int(ZOOM_AREA_PER_WIDTH_SQUARED * width * width))
    target_height = max(1, round(width * page_height / page_width))
    vector = source.kind == "pdf"
    size = fit_page(page_width, page_height, target_height, budget, allow_upscale=vector)
    view = source.load_page(index)
    try:
        small = fit_page(page_width, page_height, options.thumb.height, options.max_page_pixels)
        grayscale = is_grayscale(view.render(small))
        image = view.render(size, grayscale)
        if grayscale:
            image = _gray(image)
        image.save(dst, format="JPEG", quality=options.zoom.quality)
        return PageImage(file=dst.name, width=image.width, height=image.height)
    finally:
        view.close()


def _written_in_gray(path: Path) -> bool | None:
    """Whether an image written earlier is grayscale; None when it is not here."""
    try:
        with Image.open(path) as written:
            return written.mode == "L"
    except FileNotFoundError:
        return None


def _fit(
    source: Source, width: float, height: float, size: ImageSize, options: ConversionOptions
) -> PixelSize:
    # A raster upload gains nothing from being enlarged; a PDF page is drawn sharp at any size.
    vector = source.kind == "pdf"
    return fit_page(width, height, size.height, options.max_page_pixels, allow_upscale=vector)


def _save(
    image: Image.Image, out_dir: Path, number: int, page_count: int, size: ImageSize
) -> PageImage:
    name = image_name(number, page_count, size)
    image.save(out_dir / name, format="JPEG", quality=size.quality)
    return PageImage(file=name, width=image.width, height=image.height)
