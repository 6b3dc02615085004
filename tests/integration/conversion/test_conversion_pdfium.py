"""PdfSource against pypdfium2's own rendering (what the form layer changes), and the two ways of
making a page's images against each other.

These run PDFium in the test process (the server only ever runs it in worker processes).
"""

from __future__ import annotations

import json
from pathlib import Path

import pypdfium2 as pdfium
from PIL import Image, ImageChops

from flipshelf.conversion.geometry import PixelSize
from flipshelf.conversion.options import ConversionOptions
from flipshelf.conversion.pages import convert_page, read_page_text
from flipshelf.conversion.pdfium import PdfSource
from flipshelf.conversion.ways import WAYS, Way, WayChooser

SCALE = 1.5  # 595 x 842 pt A4 pages become 893 x 1263 px


def _ours(path: Path, index: int) -> tuple[Image.Image, bool]:
    source = PdfSource(path)
    try:
        width, height = source.page_size(index)
        page = source.load_page(index)
        try:
            size = PixelSize(round(width * SCALE), round(height * SCALE))
            return page.render(size).copy(), page._formenv is not None
        finally:
            page.close()
    finally:
        source.close()


def _reference(path: Path, index: int, forms: bool) -> Image.Image:
    """pypdfium2 with its form environment attached to the page (or none at all)."""
    pdf = pdfium.PdfDocument(path)
    if forms:
        pdf.init_forms()
    page = pdf[index]
    bitmap = page.render(scale=SCALE, may_draw_forms=True, rev_byteorder=True, prefer_bgrx=True)
    image = bitmap.to_pil().copy()
    page.close()
    pdf.close()
    return image


def test_pages_render_as_with_the_form_layer_attached_to_every_page(
    documents: dict[str, Path],
) -> None:
    """The form layer is attached only to pages with form fields, and no page looks different
    for it: fields without appearance streams are still drawn, pages without fields unchanged."""
    for index, has_fields in enumerate([True, False, True]):
        ours, attached = _ours(documents["form"], index)
        reference = _reference(documents["form"], index, forms=True)
        assert attached == has_fields
        # RGB: the fourth byte of each RGBX pixel is padding, whatever either side filled in.
        assert _rgb(ours) == _rgb(reference), f"page {index + 1} differs"


def _rgb(image: Image.Image) -> bytes:
    return image.convert("RGB").tobytes()


def test_a_field_without_an_appearance_stream_is_drawn(documents: dict[str, Path]) -> None:
    ours, _ = _ours(documents["form"], 0)
    without_forms = _reference(documents["form"], 0, forms=False)
    # The field: x 72..372 pt, y 600..640 pt from the bottom of an 842 pt page.
    box = tuple(round(v * SCALE) for v in (72, 842 - 640, 372, 842 - 600))
    field = ours.convert("L").crop(box)
    assert field.getextrema()[0] < 100, "the field's value is not drawn"
    assert ImageChops.difference(ours.convert("RGB"), without_forms.convert("RGB")).getbbox()


def test_a_page_only_read_skips_the_form_layer_and_reads_the_same(
    documents: dict[str, Path], tmp_path: Path
) -> None:
    """The text pass loads pages without the form layer (only drawing needs it; attaching it
    costs up to 18 ms on a page with fields): the text and links are those of the page drawn."""
    source = PdfSource(documents["form"])
    try:
        drawn, read = source.load_page(0), source.load_page(0, drawn=False)
        try:
            assert drawn._formenv is not None and read._formenv is None
            assert read.text() == drawn.text() and read.text().strip()
            assert read.links() == drawn.links()
            assert read.words() == drawn.words()
        finally:
            drawn.close()
            read.close()
    finally:
        source.close()


class _Always(WayChooser):
    def __init__(self, way: Way) -> None:
        super().__init__()
        self.way: Way = way

    def choose(self) -> Way:
        return self.way


def test_both_ways_of_making_the_images_give_the_same_pages(
    documents: dict[str, Path], tmp_path: Path
) -> None:
    """A grayscale page stays grayscale and a colour page colour, at the same sizes, with pixels
    that differ by no more than resampling does."""
    for name, mode in (("text", "L"), ("mixed", "RGB")):
        pages = {}
        for way in WAYS:
            out = tmp_path / name / way
            (out / "pages").mkdir(parents=True)
            (out / "text").mkdir()
            source = PdfSource(documents[name])
            page = convert_page(source, 0, out, ConversionOptions(), _Always(way))
            source.close()
            images = page.images.items()
            pages[way] = {size: _opened_rgb(out / image.file) for size, image in images}
            with Image.open(out / page.images["normal"].file) as normal:
                assert normal.mode == mode
        for size in ("thumb", "normal"):
            rendered, shrunk = pages["render"][size], pages["scale"][size]
            assert rendered.size == shrunk.size
            histogram = ImageChops.difference(rendered, shrunk).convert("L").histogram()
            close = sum(histogram[:48]) / sum(histogram)
            assert close > 0.97, f"{name} {size}: only {close:.1%} of pixels alike"


def _opened_rgb(path: Path) -> Image.Image:
    with Image.open(path) as image:
        return image.convert("RGB")


def test_every_word_of_a_page_is_kept_with_its_box(
    documents: dict[str, Path], tmp_path: Path
) -> None:
    """What the player draws search matches from: each word and where it is on the page."""
    source = PdfSource(documents["text"])
    try:
        page = read_page_text(source, 3, _dirs(tmp_path))
    finally:
        source.close()
    assert page.words == "text/0004-words.json" and page.images == {}
    words = json.loads((tmp_path / page.words).read_text())
    texts = [w[4] for w in words]
    assert texts[:5] == ["Page", "4:", "the", "dromedary", "page"]
    assert texts.count("dromedary.") == 30  # "Line N of page 4 about the dromedary."
    # "Page 4: the dromedary page" is drawn at x = 72 pt, baseline 760 pt, on a 595 x 842 page.
    left, top, _right, bottom = words[0][:4]
    assert abs(left - 72 / 595.276) < 0.005
    assert top < 1 - 760 / 841.89 < bottom
    assert all(0 <= w[0] < w[2] <= 1 and 0 <= w[1] < w[3] <= 1 for w in words)


def _dirs(root: Path) -> Path:
    (root / "pages").mkdir()
    (root / "text").mkdir()
    return root
