"""PdfSource against pypdfium2's own rendering (what the form layer changes), and the two ways of
making a page's images against each other.

These run PDFium in the test process (the server only ever runs it in worker processes).
"""

from __future__ import annotations

import json
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
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
    costs about 3 ms on a page with fields): the text and links are those of the page drawn."""
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
    """The preview way draws a colourless page in grayscale and a colour page in colour; the
    colour way draws both in colour. Same sizes, pixels that differ by no more than resampling
    does, and the first page's thumbnail grayscale either way when the page has no colour."""
    for name, preview_mode in (("text", "L"), ("mixed", "RGB")):
        pages = {}
        for way in WAYS:
            out = tmp_path / name / way
            (out / "pages").mkdir(parents=True)
            (out / "text").mkdir()
            source = PdfSource(documents[name])
            page = convert_page(source, 0, out, ConversionOptions(), _Always(way))
            source.close()
            assert set(page.images) == {"thumb", "normal"}  # the first page: the cover
            images = page.images.items()
            pages[way] = {size: _opened_rgb(out / image.file) for size, image in images}
            with Image.open(out / page.images["normal"].file) as normal:
                assert normal.mode == (preview_mode if way == "preview" else "RGB")
            with Image.open(out / page.images["thumb"].file) as thumb:
                assert thumb.mode == preview_mode
        for size in ("thumb", "normal"):
            previewed, coloured = pages["preview"][size], pages["colour"][size]
            assert previewed.size == coloured.size
            histogram = ImageChops.difference(previewed, coloured).convert("L").histogram()
            close = sum(histogram[:48]) / sum(histogram)
            assert close > 0.97, f"{name} {size}: only {close:.1%} of pixels alike"


def test_a_later_page_gets_its_thumbnail_in_the_text_pass(
    documents: dict[str, Path], tmp_path: Path
) -> None:
    """Pages after the first are readable with their normal image alone; the text pass shrinks
    it into the thumbnail, grayscale when the page has no colour even if drawn in colour."""
    out = _dirs(tmp_path)
    source = PdfSource(documents["text"])
    try:
        drawn = convert_page(source, 1, out, ConversionOptions(), _Always("colour"))
        assert set(drawn.images) == {"normal"}
        read = read_page_text(source, 1, out, ConversionOptions())
    finally:
        source.close()
    assert set(read.images) == {"thumb"} and read.text is not None
    thumb = read.images["thumb"]
    with Image.open(out / thumb.file) as image:
        assert image.mode == "L" and image.size == (thumb.width, thumb.height)
        assert image.height == ConversionOptions().thumb.height
        assert image.getextrema()[0] < 128, "the thumbnail shows none of the page's text"


def _opened_rgb(path: Path) -> Image.Image:
    with Image.open(path) as image:
        return image.convert("RGB")


def test_every_word_of_a_page_is_kept_with_its_box(
    documents: dict[str, Path], tmp_path: Path
) -> None:
    """What the player draws search matches from: each word and where it is on the page."""
    source = PdfSource(documents["text"])
    try:
        out = _dirs(tmp_path)
        convert_page(source, 3, out, ConversionOptions())
        page = read_page_text(source, 3, out, ConversionOptions())
    finally:
        source.close()
    assert page.words == "text/0004-words.json" and set(page.images) == {"thumb"}
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


def _fields_pdf(path: Path, widgets: list[dict[str, object]]) -> Path:
    """One A4 page of text with `widgets` (extra widget entries, each a form field of its own,
    at x 100..400 pt, y 500..600 pt) and no appearance streams: only PDFium's form layer could
    draw them, from their /MK, border and value."""
    import pikepdf

    pdf = pikepdf.new()
    font = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica
        )
    )
    content = pdf.make_stream(b"BT /F1 24 Tf 72 700 Td (A page with fields) Tj ET")
    page = pdf.add_blank_page(page_size=(595, 842))
    page.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))
    page.Contents = content
    fields = []
    for number, extra in enumerate(widgets):
        widget = pdf.make_indirect(
            pikepdf.Dictionary(
                Type=pikepdf.Name.Annot,
                Subtype=pikepdf.Name.Widget,
                T=f"field{number}",
                Rect=[100, 500, 400, 600],
                DA="/Helv 12 Tf 0 g",
                P=page.obj,
                **extra,
            )
        )
        fields.append(widget)
    page.Annots = pdf.make_indirect(pikepdf.Array(fields))
    helv = pikepdf.Dictionary(
        Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica
    )
    pdf.Root.AcroForm = pdf.make_indirect(
        pikepdf.Dictionary(
            Fields=pikepdf.Array(fields),
            NeedAppearances=True,
            DR=pikepdf.Dictionary(Font=pikepdf.Dictionary(Helv=helv)),
        )
    )
    pdf.save(path)
    return path


def _button(**extra: object) -> dict[str, object]:
    import pikepdf

    return {"FT": pikepdf.Name.Btn, "Ff": 65536, **extra}  # a push button


def _text_field(**extra: object) -> dict[str, object]:
    import pikepdf

    return {"FT": pikepdf.Name.Tx, **extra}


def _with_form_layer(path: Path) -> Image.Image:
    """Page 1 drawn as `_ours` draws it, but with the form layer attached whatever it holds."""
    source = PdfSource(path)
    try:
        width, height = source.page_size(0)
        page = source.load_page(0, drawn=False)
        try:
            formenv = source._pdf.formenv.raw
            pdfium_c.FORM_OnAfterLoadPage(page._page, formenv)
            page._formenv = formenv
            return page.render(PixelSize(round(width * SCALE), round(height * SCALE))).copy()
        finally:
            page.close()
    finally:
        source.close()


def test_fields_that_draw_nothing_skip_the_form_layer(tmp_path: Path) -> None:
    """Hidden fields, and push buttons and empty text fields with nothing to draw from: the
    form layer would make appearances for them (up to 3 ms a page) that draw nothing."""
    import pikepdf

    path = _fields_pdf(
        tmp_path / "inert.pdf",
        [
            _button(),
            _text_field(),
            _text_field(F=2, MK=pikepdf.Dictionary(BG=[1, 0, 0]), V="hidden"),
            _text_field(F=32, V="not shown on screen"),
        ],
    )
    ours, attached = _ours(path, 0)
    assert not attached
    assert _rgb(ours) == _rgb(_with_form_layer(path))


def test_hidden_fields_are_left_out_of_the_form_layer(tmp_path: Path) -> None:
    """pgfplots' interactive plots: a push button with an empty /MK (whose insides PDFium's API
    cannot see: it keeps the form layer) and hidden text fields, which go before the layer is
    attached; what is drawn is what the whole form layer draws, and links and text stay."""
    import pikepdf

    path = _fields_pdf(
        tmp_path / "plots.pdf",
        [
            _button(MK=pikepdf.Dictionary(), BS=pikepdf.Dictionary()),
            _text_field(F=2, MK=pikepdf.Dictionary(BG=[1, 0, 0]), V="hidden"),
            _text_field(F=2, V="hidden too"),
            _button(MK=pikepdf.Dictionary(BG=[0, 0, 1])),
        ],
    )
    source = PdfSource(path)
    try:
        page = source.load_page(0)
        try:
            assert page._formenv is not None
            assert pdfium_c.FPDFPage_GetAnnotCount(page._page) == 2
            size = PixelSize(round(595 * SCALE), round(842 * SCALE))
            ours = page.render(size).copy()
            assert page.text().startswith("A page with fields")
        finally:
            page.close()
    finally:
        source.close()
    assert _rgb(ours) == _rgb(_with_form_layer(path))


def test_fields_that_draw_keep_the_form_layer(tmp_path: Path) -> None:
    """Each of these alone draws something without an appearance stream: the form layer stays,
    and the page differs from one drawn without it."""
    import pikepdf

    red = pikepdf.Dictionary(BG=[1, 0, 0])
    for name, widget in {
        "background": _button(MK=red),
        "border colour": _text_field(MK=pikepdf.Dictionary(BC=[0, 0, 1])),
        "caption": _button(MK=pikepdf.Dictionary(CA="Press")),
        "value": _text_field(V="Filled in"),
        "check box": {"FT": pikepdf.Name.Btn, "V": pikepdf.Name.Yes, "AS": pikepdf.Name.Yes},
    }.items():
        path = _fields_pdf(tmp_path / f"{name}.pdf", [widget])
        ours, attached = _ours(path, 0)
        assert attached, name
        without = _ours(_fields_pdf(tmp_path / "none.pdf", []), 0)[0]
        assert ImageChops.difference(ours.convert("RGB"), without.convert("RGB")).getbbox(), name
    # Beveled and inset borders are drawn in fixed grays (white on this white page, but over
    # whatever a page has beneath): kept, though nothing here shows it.
    for style in ("/B", "/I"):
        bordered = _button(MK=pikepdf.Dictionary(), BS=pikepdf.Dictionary(S=pikepdf.Name(style)))
        assert _ours(_fields_pdf(tmp_path / "bordered.pdf", [bordered]), 0)[1], style
