from __future__ import annotations

import pytest

from flipshelf.conversion.pagetext import clean_page_text


@pytest.mark.parametrize(
    "raw,clean",
    [
        ("Spi\x02derMonkey", "SpiderMonkey"),  # PDFium's mark for a removed line-end hyphen
        ("Spi\x02\r\nderMonkey", "SpiderMonkey"),  # with the line break left after it
        ("one\r\ntwo\rthree\n", "one\ntwo\nthree\n"),
        ("tab\tand\nnewline", "tab\tand\nnewline"),
        ("bell\x07 nul\x00 esc\x1b del\x7f c1\x85", "bell nul esc del c1"),
        ("soft\u00adhyphen \ufeffbom \uffff", "softhyphen bom "),
        ("日本語 한국어 ü €", "日本語 한국어 ü €"),
    ],
)
def test_page_text_is_cleaned_of_markers_and_invisible_characters(raw: str, clean: str) -> None:
    assert clean_page_text(raw) == clean
