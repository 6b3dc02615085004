"""Type detection, page counting, and refusals: all through real worker processes."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from flipshelf.conversion import (
    ConversionOptions,
    PageLimitExceeded,
    UnsupportedDocument,
    check_page_limit,
    detect_document_type,
    errors,
    inspect_document,
)


@pytest.mark.parametrize(
    ("name", "kind", "pages"),
    [
        ("text", "pdf", 5),
        ("mixed", "pdf", 5),
        ("owner_only", "pdf", 5),
        ("r_faq", "pdf", 52),
        ("exif_jpeg", "jpg", 1),
        ("png", "png", 1),
    ],
)
def test_accepted_documents_are_typed_and_counted(
    documents: dict[str, Path], name: str, kind: str, pages: int
) -> None:
    info = inspect_document(documents[name])
    assert (info.kind, info.page_count) == (kind, pages)
    assert detect_document_type(documents[name]) == kind


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("encrypted", errors.PASSWORD_PROTECTED),
        ("truncated", errors.TRUNCATED_PDF),
        ("fake_pdf", errors.CORRUPT_PDF),
        ("not_a_pdf", errors.NOT_A_DOCUMENT),
        ("gif", errors.NOT_A_DOCUMENT),
        ("webp", errors.NOT_A_DOCUMENT),
        ("truncated_jpeg", errors.CORRUPT_IMAGE),
        ("bomb", errors.IMAGE_TOO_LARGE),
    ],
)
def test_other_files_are_refused_with_a_reason(
    documents: dict[str, Path], name: str, reason: str
) -> None:
    with pytest.raises(UnsupportedDocument) as refused:
        inspect_document(documents[name])
    assert refused.value.reason == reason


def test_a_file_named_pdf_is_judged_by_its_content(
    documents: dict[str, Path], tmp_path: Path
) -> None:
    disguised = tmp_path / "photo.pdf"
    disguised.write_bytes(documents["png"].read_bytes())
    assert detect_document_type(disguised) == "png"


def test_an_image_under_a_lower_pixel_limit_is_refused(documents: dict[str, Path]) -> None:
    with pytest.raises(UnsupportedDocument, match=errors.IMAGE_TOO_LARGE):
        inspect_document(documents["png"], ConversionOptions(max_image_pixels=1000 * 1499))


def test_counting_a_long_document_is_cheap(documents: dict[str, Path]) -> None:
    inspect_document(documents["text"])  # the fork server starts once per test session
    started = time.monotonic()
    info = inspect_document(documents["many"])
    assert info.page_count == 1200
    assert time.monotonic() - started < 1.0
    with pytest.raises(PageLimitExceeded) as over:
        check_page_limit(info.page_count, 1000)
    assert (over.value.page_count, over.value.limit, over.value.reason) == (
        1200,
        1000,
        "page limit exceeded",
    )
