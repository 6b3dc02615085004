"""The only module that touches PDFium (through pypdfium2); it runs only inside worker processes.

PDFium is not thread-safe and parses untrusted bytes, so the parent never imports this module: a
crash or a runaway page costs one resource-limited worker, never the server. pypdfium2 has no type
information, so every value that leaves this module is converted to a plain typed one here.
"""

from __future__ import annotations

import ctypes
import re
from array import array
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image

from flipshelf.conversion import errors
from flipshelf.conversion.geometry import PixelSize, Rect, relative_rect
from flipshelf.conversion.manifest import Link, OutlineEntry, Word
from flipshelf.conversion.pagetext import clean_page_text
from flipshelf.conversion.repair import open_repaired
from flipshelf.conversion.sniff import pdf_tail_is_complete, read_tail

# Only these schemes become clickable in the player: a `javascript:` or `file:` link from an
# uploaded PDF must never reach a reader's browser.
SAFE_URI_SCHEMES = frozenset({"http", "https", "mailto"})
MAX_URI_LENGTH = 2048
MAX_OUTLINE_ENTRIES = 5000
MAX_TITLE_LENGTH = 300
MAX_PAGE_TEXT = 1_000_000  # characters; more is not text a reader searches
MAX_PAGE_WORDS = 50_000  # word boxes kept per page (a dense map page has a few thousand)
MAX_WORD_LENGTH = 200
# Link corners are mapped through PDFium's page-to-device transform (which knows the page's
# rotation and crop box) onto a virtual device this many units wide and tall.
_DEVICE = 1_000_000


class PdfSource:
    """An open PDF: page count, page sizes and outline, and its pages one at a time."""

    kind = "pdf"

    def __init__(self, path: Path) -> None:
        if not pdf_tail_is_complete(read_tail(path)):
            raise errors.UnsupportedDocument(errors.TRUNCATED_PDF)
        self._pdf = _open(path)
        self.page_count: int = len(self._pdf)
        self._dest_pages: dict[int | None, int | None] = {}

    def page_size(self, index: int) -> tuple[float, float]:
        """Width and height in points as displayed (/Rotate applied), without loading the page."""
        size = pdfium_c.FS_SIZEF()
        if not pdfium_c.FPDF_GetPageSizeByIndexF(self._pdf.raw, index, ctypes.byref(size)):
            raise errors.UnsupportedDocument(errors.CORRUPT_PDF)
        width, height = float(size.width), float(size.height)
        if not (width > 0 and height > 0):
            raise errors.UnsupportedDocument(errors.CORRUPT_PDF)
        return width, height

    def outline(self) -> tuple[OutlineEntry, ...]:
        """The bookmarks as a tree; pages are 1-based, None when a bookmark points nowhere."""
        flat: list[tuple[int, str, int | None]] = []
        for bookmark in self._pdf.get_toc():
            if len(flat) >= MAX_OUTLINE_ENTRIES:
                break
            flat.append((int(bookmark.level), _title(bookmark), self._bookmark_page(bookmark)))
        return _outline_tree(flat, 0, 0)[0]

    def _bookmark_page(self, bookmark: Any) -> int | None:
        dest = pdfium_c.FPDFBookmark_GetDest(self._pdf.raw, bookmark.raw)
        if not dest:
            dest = _action_dest(self._pdf.raw, pdfium_c.FPDFBookmark_GetAction(bookmark.raw))
        return self._dest_page(dest)

    def _dest_page(self, dest: Any) -> int | None:
        """The 1-based page a destination opens. Remembered per destination for the document:
        PDFium looks the page up by walking the page list, and a manual's pages link to the
        same few hundred destinations (contents, index) again and again."""
        if not dest:
            return None
        # The handle is the destination's array inside the open document: fixed while it is.
        key = ctypes.cast(dest, ctypes.c_void_p).value
        page = self._dest_pages.get(key, 0)
        if page == 0:
            index = int(pdfium_c.FPDFDest_GetDestPageIndex(self._pdf.raw, dest))
            page = index + 1 if 0 <= index < self.page_count else None
            self._dest_pages[key] = page
        return page

    def load_page(self, index: int, drawn: bool = True) -> PdfPage:
        """Page `index`; `drawn=False` for a page only read (text, links), which skips the form
        layer: only drawing needs it, and it costs about 3 ms on a page with form fields."""
        page = pdfium_c.FPDF_LoadPage(self._pdf.raw, index)
        if not page:
            raise errors.UnsupportedDocument(errors.CORRUPT_PDF)
        return PdfPage(self, page, self._form_layer(page) if drawn else None)

    def _form_layer(self, page: Any) -> Any:
        """The form environment attached to `page` if it has form fields that draw anything,
        else None.

        Only the form layer draws form fields, but attaching it costs a page view with an object
        for every annotation, and an appearance made for every field that has none: on a manual
        with dozens of links a page, more than a third of the page's load time. Pages without
        fields, or whose fields draw nothing, look the same without it.
        """
        formenv = self._pdf.formenv
        if not formenv or not _has_drawn_fields(page, formenv.raw):
            return None
        pdfium_c.FORM_OnAfterLoadPage(page, formenv.raw)
        return formenv.raw

    def close(self) -> None:
        self._pdf.close()


class PdfPage:
    """One loaded page: its image at any size, its text and its links."""

    def __init__(self, source: PdfSource, page: Any, formenv: Any) -> None:
        self._source = source
        self._page = page
        self._formenv = formenv
        self._textpage: Any = None

    def render(self, size: PixelSize, grayscale: bool = False) -> Image.Image:
        """The page drawn on white at exactly `size` (aspect is the caller's business)."""
        channels = 1 if grayscale else 4
        stride = size.width * channels
        # Allocated by Python so the Pillow image can keep the memory alive after PDFium's bitmap
        # handle is gone; RGBX and L are the layouts Pillow wraps without copying.
        pixels = bytearray(stride * size.height)
        buffer = (ctypes.c_ubyte * len(pixels)).from_buffer(pixels)
        layout = pdfium_c.FPDFBitmap_Gray if grayscale else pdfium_c.FPDFBitmap_BGRx
        bitmap = pdfium_c.FPDFBitmap_CreateEx(size.width, size.height, layout, buffer, stride)
        if not bitmap:
            raise MemoryError("PDFium could not create a bitmap")
        try:
            self._draw(bitmap, size, grayscale)
        finally:
            pdfium_c.FPDFBitmap_Destroy(bitmap)
        mode = "L" if grayscale else "RGBX"
        del buffer  # PDFium's view of the pixels; Pillow wraps them without copying
        return Image.frombuffer(mode, (size.width, size.height), pixels, "raw", mode, stride, 1)

    def _draw(self, bitmap: Any, size: PixelSize, grayscale: bool) -> None:
        pdfium_c.FPDFBitmap_FillRect(bitmap, 0, 0, size.width, size.height, 0xFFFFFFFF)
        flags = pdfium_c.FPDF_ANNOT
        flags |= pdfium_c.FPDF_GRAYSCALE if grayscale else pdfium_c.FPDF_REVERSE_BYTE_ORDER
        position = (0, 0, size.width, size.height, 0, flags)
        pdfium_c.FPDF_RenderPageBitmap(bitmap, self._page, *position)
        if self._formenv:
            # PDFium draws form fields only in the form layer, never in the page rendering.
            pdfium_c.FPDF_FFLDraw(self._formenv, bitmap, self._page, *position)

    def text(self) -> str:
        """The page's text in reading order as PDFium extracts it, cleaned (`pagetext`)."""
        textpage = self._text_page()
        box = pdfium_c.FS_RECTF()
        if not pdfium_c.FPDF_GetPageBoundingBox(self._page, ctypes.byref(box)):
            return ""
        bounds = (float(box.left), float(box.top), float(box.right), float(box.bottom))
        count = int(pdfium_c.FPDFText_GetBoundedText(textpage, *bounds, None, 0))
        if count <= 0:
            return ""
        count = min(count, MAX_PAGE_TEXT)
        buffer = (ctypes.c_ushort * count)()
        written = int(pdfium_c.FPDFText_GetBoundedText(textpage, *bounds, buffer, count))
        raw = bytes(memoryview(buffer).cast("B")[: max(0, written) * 2])
        return clean_page_text(raw.decode("utf-16-le", errors="replace"))

    def words(self) -> list[Word]:
        """Each word of the page (a run of characters between spaces or line ends) with the box
        around it, so the player can draw search matches on the page image. One call reads
        every character; each word then costs two box lookups (its first and last character).

        A dense page has a thousand words: this loop is written for speed (one reused box per
        end, the page transform inlined), as it once cost more than drawing the page."""
        textpage = self._text_page()
        count = min(int(pdfium_c.FPDFText_CountChars(textpage)), MAX_PAGE_TEXT)
        if count <= 0:
            return []
        buffer = (ctypes.c_ushort * (count + 1))()
        pdfium_c.FPDFText_GetText(textpage, 0, count, buffer)
        units = array("H", bytes(memoryview(buffer).cast("B")[: count * 2]))
        x0, y0, ax, ay, bx, by = self._fraction_transform()
        head, tail = pdfium_c.FS_RECTF(), pdfium_c.FS_RECTF()
        head_ref, tail_ref = ctypes.byref(head), ctypes.byref(tail)
        char_box = pdfium_c.FPDFText_GetLooseCharBox
        # One character per UTF-16 unit (surrogates unpaired), so match spans index `units`.
        chars = "".join(map(chr, units))
        paired = _SURROGATE.search(chars) is not None
        found: list[Word] = []
        for match in _WORD.finditer(chars):
            start, end = match.span()
            if not char_box(textpage, start, head_ref):
                continue
            left, top, right, bottom = head.left, head.top, head.right, head.bottom
            # The box from the first character to the last; the first character's own line
            # when a word runs onto the next line (a hyphenated break).
            if (
                end - 1 > start
                and char_box(textpage, end - 1, tail_ref)
                and min(top, tail.top) - max(bottom, tail.bottom) > 0
            ):
                left, right = min(left, tail.left), max(right, tail.right)
                top, bottom = max(top, tail.top), min(bottom, tail.bottom)
            rect = relative_rect(
                (
                    (x0 + ax * left + bx * top, y0 + ay * left + by * top),
                    (x0 + ax * right + bx * bottom, y0 + ay * right + by * bottom),
                )
            )
            if rect is not None:
                text = match.group()
                if paired:  # surrogate pairs become the characters they encode
                    text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
                text = text.replace(SOFT_HYPHEN_MARK, "")  # "Spi\x02derMonkey": one word
                found.append(Word(rect, text[:MAX_WORD_LENGTH]))
            if len(found) >= MAX_PAGE_WORDS:
                break
        return found

    def _fraction_transform(self) -> tuple[float, float, float, float, float, float]:
        """PDFium's page-to-device mapping (rotation and crop box included) as the affine map
        (x, y) -> (x0 + ax*x + bx*y, y0 + ay*x + by*y), measured once: far cheaper than a PDFium
        call per corner of every word."""
        x0, y0 = self._to_fraction(0.0, 0.0)
        x1, y1 = self._to_fraction(1000.0, 0.0)
        x2, y2 = self._to_fraction(0.0, 1000.0)
        return x0, y0, (x1 - x0) / 1000, (y1 - y0) / 1000, (x2 - x0) / 1000, (y2 - y0) / 1000

    def links(self) -> list[Link]:
        """Link annotations that go to a safe URI or to a page of this document."""
        found: list[Link] = []
        position = ctypes.c_int(0)
        link = pdfium_c.FPDF_LINK()
        page = self._page
        while pdfium_c.FPDFLink_Enumerate(page, ctypes.byref(position), ctypes.byref(link)):
            parsed = self._link(link)
            if parsed is not None:
                found.append(parsed)
        return found

    def _link(self, link: Any) -> Link | None:
        box = pdfium_c.FS_RECTF()
        if not pdfium_c.FPDFLink_GetAnnotRect(link, ctypes.byref(box)):
            return None
        rect = self._relative(box)
        if rect is None:
            return None
        document = self._source._pdf.raw
        dest = pdfium_c.FPDFLink_GetDest(document, link)
        action = pdfium_c.FPDFLink_GetAction(link)
        if not dest and action and pdfium_c.FPDFAction_GetType(action) == pdfium_c.PDFACTION_URI:
            uri = safe_uri(_action_uri(document, action))
            return Link(rect=rect, uri=uri) if uri else None
        page = self._source._dest_page(dest or _action_dest(document, action))
        return Link(rect=rect, page=page) if page else None

    def _relative(self, box: Any) -> Rect | None:
        corners = (
            self._to_fraction(float(box.left), float(box.top)),
            self._to_fraction(float(box.right), float(box.bottom)),
        )
        return relative_rect(corners)

    def _to_fraction(self, x: float, y: float) -> tuple[float, float]:
        device_x, device_y = ctypes.c_int(), ctypes.c_int()
        pdfium_c.FPDF_PageToDevice(
            self._page,
            0,
            0,
            _DEVICE,
            _DEVICE,
            0,
            x,
            y,
            ctypes.byref(device_x),
            ctypes.byref(device_y),
        )
        return device_x.value / _DEVICE, device_y.value / _DEVICE

    def _text_page(self) -> Any:
        if self._textpage is None:
            self._textpage = pdfium_c.FPDFText_LoadPage(self._page)
            if not self._textpage:
                raise errors.UnsupportedDocument(errors.CORRUPT_PDF)
        return self._textpage

    def close(self) -> None:
        if self._textpage:
            pdfium_c.FPDFText_ClosePage(self._textpage)
            self._textpage = None
        if self._formenv:
            pdfium_c.FORM_OnBeforeClosePage(self._page, self._formenv)
        pdfium_c.FPDF_ClosePage(self._page)
        self._page = None


# PDFium marks a hyphen that broke a word across lines with U+0002: inside the word, not a gap.
SOFT_HYPHEN_MARK = "\x02"
# Gaps: controls and the space (but not U+0002), no-break, thin and other spaces, line and
# paragraph separators, and PDFium's 0xFFFE marker.
_WORD = re.compile(
    "[^\x00\x01\x03-\x20\x85\xa0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufffe\uffff]+"
)
# Half of a UTF-16 surrogate pair: a character beyond the Basic Multilingual Plane.
_SURROGATE = re.compile("[\ud800-\udfff]")


def _open(path: Path) -> Any:
    """The document, repaired by qpdf first when PDFium cannot open it as it is."""
    try:
        pdf = pdfium.PdfDocument(path)
    except pdfium.PdfiumError as error:
        if error.err_code in _PASSWORD_ERRORS:
            raise errors.UnsupportedDocument(errors.PASSWORD_PROTECTED) from None
        pdf = open_repaired(path, _open_or_none)
        if pdf is None:
            raise errors.UnsupportedDocument(errors.CORRUPT_PDF) from None
    # Must precede any page load, so pages are loaded with their form fields.
    pdf.init_forms()
    return pdf


def _open_or_none(path: Path) -> Any:
    try:
        return pdfium.PdfDocument(path)
    except pdfium.PdfiumError:
        return None


def _has_drawn_fields(page: Any, formenv: Any) -> bool:
    """Whether `page` has a form field the form layer would draw anything for. Fields never seen
    on screen are removed from the loaded page first (in memory: the file is never written):
    the form layer would make an appearance for each all the same, which cost pgfplots' manual
    half of the 2.6 ms it took to attach the layer to each of its pages with fields (a push
    button and hidden text fields for every interactive plot)."""
    drawn = False
    for index in reversed(range(int(pdfium_c.FPDFPage_GetAnnotCount(page)))):
        annotation = pdfium_c.FPDFPage_GetAnnot(page, index)
        if not annotation:
            continue
        try:
            if pdfium_c.FPDFAnnot_GetSubtype(annotation) != pdfium_c.FPDF_ANNOT_WIDGET:
                continue
            unseen = int(pdfium_c.FPDFAnnot_GetFlags(annotation)) & _UNSEEN
            drawn = drawn or (not unseen and _field_draws(annotation, formenv))
        finally:
            pdfium_c.FPDFPage_CloseAnnot(annotation)
        if unseen:
            pdfium_c.FPDFPage_RemoveAnnot(page, index)
    return drawn


# A widget with either flag is never drawn on screen.
_UNSEEN = pdfium_c.FPDF_ANNOT_FLAG_HIDDEN | pdfium_c.FPDF_ANNOT_FLAG_NOVIEW
# Fields whose appearance, when the widget has none, PDFium makes from the widget's appearance
# characteristics (/MK: colours, captions, icons), its border style (/BS) and, for text, the
# field's value alone.
_APPEARANCE_MADE_FROM_MK = frozenset(
    {pdfium_c.FPDF_FORMFIELD_PUSHBUTTON, pdfium_c.FPDF_FORMFIELD_TEXTFIELD}
)


def _field_draws(widget: Any, formenv: Any) -> bool:
    """False only for a widget that certainly draws nothing: a push button or text field with
    no appearance stream, no /MK, no /BS and no value. PDFium's API cannot look inside /MK or
    /BS, so a widget with either counts as drawn, as does any other field (check boxes,
    choices, signatures), whatever it holds."""
    kind = int(pdfium_c.FPDFAnnot_GetFormFieldType(formenv, widget))
    if kind not in _APPEARANCE_MADE_FROM_MK:
        return True
    if any(pdfium_c.FPDFAnnot_HasKey(widget, key) for key in (b"AP", b"MK", b"BS")):
        return True
    # The value's length in bytes with its UTF-16 terminator: 2 when empty.
    return int(pdfium_c.FPDFAnnot_GetFormFieldValue(formenv, widget, None, 0)) > 2


_PASSWORD_ERRORS = frozenset({pdfium_c.FPDF_ERR_PASSWORD, pdfium_c.FPDF_ERR_SECURITY})


def _action_dest(document: Any, action: Any) -> Any:
    if action and pdfium_c.FPDFAction_GetType(action) == pdfium_c.PDFACTION_GOTO:
        return pdfium_c.FPDFAction_GetDest(document, action)
    return None


def _action_uri(document: Any, action: Any) -> str:
    length = int(pdfium_c.FPDFAction_GetURIPath(document, action, None, 0))
    if length <= 1 or length > MAX_URI_LENGTH + 1:
        return ""
    buffer = ctypes.create_string_buffer(length)
    pdfium_c.FPDFAction_GetURIPath(document, action, buffer, length)
    return buffer.raw[: length - 1].decode("ascii", errors="replace")


def safe_uri(uri: str) -> str | None:
    """The URI if a browser may follow it from a flipbook page (http, https, mailto), else None."""
    uri = uri.strip()
    if not uri or len(uri) > MAX_URI_LENGTH or any(ord(char) < 0x21 for char in uri):
        return None
    try:
        parts = urlsplit(uri)
    except ValueError:
        return None
    if parts.scheme.lower() not in SAFE_URI_SCHEMES:
        return None
    if parts.scheme.lower() != "mailto" and not parts.netloc:
        return None
    return uri


def _title(bookmark: Any) -> str:
    title = " ".join(str(bookmark.get_title()).split())
    return title[:MAX_TITLE_LENGTH]


def _outline_tree(
    flat: list[tuple[int, str, int | None]], start: int, level: int
) -> tuple[tuple[OutlineEntry, ...], int]:
    """Rebuild the tree from PDFium's depth-first (level, title, page) list."""
    entries: list[OutlineEntry] = []
    index = start
    while index < len(flat) and flat[index][0] == level:
        _, title, page = flat[index]
        children, index = _outline_tree(flat, index + 1, level + 1)
        entries.append(OutlineEntry(title=title, page=page, children=children))
    return tuple(entries), index
