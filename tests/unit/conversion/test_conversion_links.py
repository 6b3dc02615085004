from __future__ import annotations

import pytest

from flipshelf.conversion.pdfium import safe_uri


@pytest.mark.parametrize(
    "uri",
    ["https://example.org/a?b=c#d", "http://example.org", "mailto:someone@example.org"],
)
def test_web_and_mail_links_are_kept(uri: str) -> None:
    assert safe_uri(uri) == uri


@pytest.mark.parametrize(
    "uri",
    [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        "file:///etc/passwd",
        "data:text/html,<script>",
        "https:///no-host",
        "https://example.org/a b",
        "https://example.org/\x00",
        "//example.org/relative",
        "",
        "https://example.org/" + "a" * 3000,
    ],
)
def test_links_a_browser_must_not_follow_are_dropped(uri: str) -> None:
    assert safe_uri(uri) is None
