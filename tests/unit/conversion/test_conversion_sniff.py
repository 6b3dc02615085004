from __future__ import annotations

import pytest

from flipshelf.conversion.sniff import (
    as_document_kind,
    as_image_kind,
    pdf_tail_is_complete,
    sniff_bytes,
)


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"%PDF-1.7\n%\xe2\xe3", "pdf"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "jpg"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "png"),
        (b"GIF89a\x01\x00", "gif"),
        (b"GIF87a\x01\x00", "gif"),
        (b"RIFF\x10\x00\x00\x00WEBPVP8L", "webp"),
    ],
)
def test_magic_bytes_name_the_type(head: bytes, kind: str) -> None:
    assert sniff_bytes(head) == kind


@pytest.mark.parametrize(
    "head",
    [b"", b"hello world", b"PK\x03\x04zipfile", b"RIFF\x10\x00\x00\x00WAVEfmt ", b"%PD"],
)
def test_other_bytes_are_not_recognised(head: bytes) -> None:
    assert sniff_bytes(head) is None


def test_a_pdf_header_after_some_junk_is_still_a_pdf() -> None:
    assert sniff_bytes(b"\x00" * 1000 + b"%PDF-1.4\n") == "pdf"


def test_a_pdf_header_beyond_the_first_kilobyte_is_not() -> None:
    assert sniff_bytes(b"\x00" * 1100 + b"%PDF-1.4\n") is None


def test_documents_accept_pdf_jpeg_png_only() -> None:
    assert [as_document_kind(k) for k in ("pdf", "jpg", "png", "gif", "webp", None)] == [
        "pdf",
        "jpg",
        "png",
        None,
        None,
        None,
    ]


def test_logos_accept_images_but_not_pdf() -> None:
    assert [as_image_kind(k) for k in ("pdf", "jpg", "png", "gif", "webp")] == [
        None,
        "jpg",
        "png",
        "gif",
        "webp",
    ]


def test_a_pdf_is_complete_only_with_its_end_marker_near_the_end() -> None:
    assert pdf_tail_is_complete(b"trailer\n<<>>\nstartxref\n123\n%%EOF\n")
    assert pdf_tail_is_complete(b"%%EOF\n" + b"\x00" * 2000)
    assert not pdf_tail_is_complete(b"%%EOF\n" + b"\x00" * 5000)
    assert not pdf_tail_is_complete(b"1 0 obj << /Type /Page >> endobj\n")
