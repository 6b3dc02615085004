"""What real-world documents brought up (issue 11): PDFs PDFium refuses until qpdf repairs them,
a book with one unreadable page, ink annotations, hyphenated words, CJK text in fonts the PDF does
not embed, and metadata in uploaded JPEGs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from flipshelf.conversion import (
    UnsupportedDocument,
    convert_document,
    errors,
    read_manifest,
    render_zoom,
)
from flipshelf.conversion.fonts import missing_fallback_fonts
from flipshelf.conversion.manifest import MANIFEST_VERSION
from tests.fixtures.documents.generate import (
    CJK_LINES,
    EXIF_ARTIST,
    HYPHENATED,
    INK_BOX,
    JPEG_COMMENT,
)


def jpeg_segments(data: bytes) -> list[tuple[int, bytes]]:
    """The marker and payload of every JPEG segment before the image data (SOS)."""
    assert data[:2] == b"\xff\xd8"
    segments, at = [], 2
    while at < len(data):
        marker = data[at + 1]
        length = int.from_bytes(data[at + 2 : at + 4], "big")
        segments.append((marker, data[at + 4 : at + 2 + length]))
        if marker == 0xDA:  # start of scan: the image data follows
            break
        at += 2 + length
    return segments


def dark_fraction(image: Image.Image, box: tuple[int, int, int, int]) -> float:
    gray = image.convert("L").crop(box)
    histogram = gray.histogram()
    return sum(histogram[:128]) / max(1, gray.width * gray.height)


def test_a_pdf_pdfium_refuses_is_repaired_by_qpdf_and_converted(
    documents: dict[str, Path], tmp_path: Path
) -> None:
    manifest = convert_document(documents["repairable"], tmp_path)
    assert (manifest.page_count, manifest.complete, manifest.failed_pages) == (5, True, ())
    first = (tmp_path / "text" / "0001.txt").read_text(encoding="utf-8")
    assert "Page 1: the aardvark page" in first


def test_refusals_keep_their_reason(documents: dict[str, Path], tmp_path: Path) -> None:
    reasons = {}
    for kind in ("encrypted", "truncated", "fake_pdf", "not_a_pdf"):
        with pytest.raises(UnsupportedDocument) as refused:
            convert_document(documents[kind], tmp_path / kind)
        reasons[kind] = refused.value.reason
    assert reasons == {
        "encrypted": errors.PASSWORD_PROTECTED,
        "truncated": errors.TRUNCATED_PDF,
        "fake_pdf": errors.CORRUPT_PDF,
        "not_a_pdf": errors.NOT_A_DOCUMENT,
    }


def test_one_unreadable_page_is_marked_failed_and_the_others_are_converted(
    documents: dict[str, Path], tmp_path: Path
) -> None:
    manifest = convert_document(documents["bad_page"], tmp_path)
    assert (manifest.page_count, manifest.pages_ready, manifest.complete) == (3, 3, True)
    assert manifest.failed_pages == (2,)
    good, bad, last = manifest.pages
    assert bad.failed == errors.CORRUPT_PDF and bad.images == {} and bad.text is None
    # It keeps a size (its neighbour's), so the player lays the book out as usual.
    assert (round(bad.width, 3), round(bad.height, 3)) == (good.width, good.height)
    for page in (good, last):
        assert page.failed is None and (tmp_path / page.images["normal"].file).is_file()
        assert f"Page {page.number}" in (tmp_path / str(page.text)).read_text(encoding="utf-8")
    written = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert written["version"] == MANIFEST_VERSION == 4
    assert written["pages"][1] == {
        "number": 2,
        "width": good.width,
        "height": good.height,
        "failed": errors.CORRUPT_PDF,
    }
    texts = json.loads((tmp_path / "text" / "all.json").read_text(encoding="utf-8"))
    assert texts[1] == "" and "Page 3" in texts[2]
    assert sorted(p.name for p in (tmp_path / "pages").iterdir()) == [
        "0001-normal.jpg",
        "0001-thumb.jpg",
        "0003-normal.jpg",
        "0003-thumb.jpg",
    ]
    # The zoom pass passes over it too.
    zoomed = render_zoom(documents["bad_page"], tmp_path)
    assert zoomed.zoom_ready == 3 and "zoom" not in zoomed.pages[1].images
    assert (tmp_path / zoomed.pages[2].images["zoom"].file).is_file()


def test_a_version_1_manifest_is_still_read(tmp_path: Path) -> None:
    old = {
        "version": 1,
        "kind": "pdf",
        "pageCount": 1,
        "pagesReady": 1,
        "zoomReady": 0,
        "complete": True,
        "textIndex": None,
        "outline": [],
        "pages": [{"number": 1, "width": 10, "height": 20, "images": {}, "text": "t", "links": []}],
    }
    (tmp_path / "manifest.json").write_text(json.dumps(old), encoding="utf-8")
    manifest = read_manifest(tmp_path)
    assert manifest.complete and manifest.failed_pages == () and manifest.pages[0].text == "t"


def test_ink_annotations_are_drawn_into_page_images(
    documents: dict[str, Path], tmp_path: Path
) -> None:
    manifest = convert_document(documents["ink"], tmp_path)
    page = manifest.pages[0]
    with Image.open(tmp_path / page.images["normal"].file) as image:
        scale = image.width / page.width
        x0, y0, x1, y1 = (round(v * scale) for v in INK_BOX)
        top, bottom = image.height - y1, image.height - y0
        rgb = image.convert("RGB")
        # Both strokes are blue: one from its appearance stream, one drawn from its ink list.
        corners = [(x0 + 6, top + 6), (x1 - 6, top + 6), (x0 + 6, bottom - 6), (x1 - 6, bottom - 6)]
        for x, y in corners:
            red, green, blue = rgb.getpixel((x, y))  # type: ignore[misc]
            assert blue > 150 and red < 120, (x, y, (red, green, blue))


def test_a_hyphenated_word_is_whole_in_the_page_text_and_the_search_index(
    documents: dict[str, Path], tmp_path: Path
) -> None:
    convert_document(documents["hyphenated"], tmp_path)
    text = (tmp_path / "text" / "0001.txt").read_text(encoding="utf-8")
    assert "SpiderMonkey" in text and HYPHENATED[0] not in text
    assert not any(ord(char) < 0x20 and char not in "\t\n" for char in text)
    (indexed,) = json.loads((tmp_path / "text" / "all.json").read_text(encoding="utf-8"))
    assert "spidermonkey" in indexed.lower()


def test_cjk_text_in_fonts_the_pdf_does_not_embed_is_drawn(
    documents: dict[str, Path], tmp_path: Path
) -> None:
    missing = missing_fallback_fonts()
    assert missing == [], f"run scripts/install-fonts.sh (as root): {missing}"
    manifest = convert_document(documents["cjk"], tmp_path)
    page = manifest.pages[0]
    with Image.open(tmp_path / page.images["normal"].file) as image:
        scale = image.height / page.height
        for font, text, top in CJK_LINES:
            # The band the line's glyphs occupy: 40 pt text whose baseline is at `top`.
            band = (0, round((top - 36) * scale), image.width, round((top + 4) * scale))
            assert dark_fraction(image, band) > 0.02, f"{font} drew nothing for {text}"
    texts = (tmp_path / "text" / "0001.txt").read_text(encoding="utf-8")
    assert all(text in texts for _font, text, _top in CJK_LINES)


def test_page_images_of_an_uploaded_jpeg_carry_no_comment_or_metadata(
    documents: dict[str, Path], tmp_path: Path
) -> None:
    source = documents["commented_jpeg"].read_bytes()
    assert JPEG_COMMENT in source and EXIF_ARTIST.encode() in source  # the fixture has them
    manifest = convert_document(documents["commented_jpeg"], tmp_path)
    render_zoom(documents["commented_jpeg"], tmp_path)
    images = [*manifest.pages[0].images.values(), read_manifest(tmp_path).pages[0].images["zoom"]]
    for image in images:
        data = (tmp_path / image.file).read_bytes()
        markers = {marker for marker, _payload in jpeg_segments(data)}
        assert 0xFE not in markers, f"{image.file} has a comment"  # COM
        assert not markers & set(range(0xE1, 0xF0)), f"{image.file} has APP1..APP15"
        assert JPEG_COMMENT not in data and EXIF_ARTIST.encode() not in data
