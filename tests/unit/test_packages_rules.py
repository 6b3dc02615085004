"""Pure rules of offline packages: file names, entry names, script-safe JSON, retry rounds."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from flipshelf.domain.access import LinkCheck
from flipshelf.domain.packages import (
    FAILED_RETRY_AFTER,
    Package,
    PackageStatus,
    download_name,
    last_of_round,
    next_round,
    retry_due,
)
from flipshelf.packaging.build import UnsafeEntry, checked_entry
from flipshelf.player.escaping import script_json
from flipshelf.security.package_links import PackageLinks

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("title", "name"),
    [
        ("Spring catalogue", "spring-catalogue-k3v9q2m8xz.zip"),
        ("Été à Paris — 2026!", "ete-a-paris-2026-k3v9q2m8xz.zip"),
        ('"; filename=evil.exe\r\nX: y', "filename-evil-exe-x-y-k3v9q2m8xz.zip"),
        ("../../etc/passwd", "etc-passwd-k3v9q2m8xz.zip"),
        ("日本語のカタログ", "flipshelf-k3v9q2m8xz.zip"),
        ("", "flipshelf-k3v9q2m8xz.zip"),
        ("a" * 300, "a" * 60 + "-k3v9q2m8xz.zip"),
    ],
)
def test_download_names_are_plain_ascii_from_the_title(title: str, name: str) -> None:
    assert download_name(title, "k3v9q2m8xz") == name


@pytest.mark.parametrize(
    "name",
    ["index.html", "data/1.js", "books/12/pages/0001-zoom.jpg", "player/vendor/page-flip.LICENSE"],
)
def test_server_made_entry_names_pass(name: str) -> None:
    assert checked_entry(name) == name


@pytest.mark.parametrize(
    "name",
    [
        "",
        "/etc/passwd",
        "../x",
        "books/../../x",
        "a//b",
        "a\\b",
        "books/1/My Title.jpg",
        ".hidden",
        "data/<script>.js",
        "a/",
        "caf\u00e9.js",
    ],
)
def test_any_other_entry_name_is_refused(name: str) -> None:
    with pytest.raises(UnsafeEntry):
        checked_entry(name)


def test_script_json_cannot_close_a_script_or_break_a_line() -> None:
    value = {"title": "</script><!-- & \u2028\u2029 >"}
    text = script_json(value)
    assert not set(text) & {"<", ">", "&", "\u2028", "\u2029"}
    assert json.loads(text) == value


def _package(status: PackageStatus, completed_at: datetime | None) -> Package:
    return Package(1, 1, 1, status, None, None, None, 3, NOW, completed_at)


def test_a_failed_package_is_retried_only_after_the_pause() -> None:
    failed = _package(PackageStatus.FAILED, NOW)
    assert not retry_due(failed, NOW + FAILED_RETRY_AFTER - timedelta(seconds=1))
    assert retry_due(failed, NOW + FAILED_RETRY_AFTER)
    assert not retry_due(_package(PackageStatus.COMPLETE, NOW), NOW + timedelta(days=1))
    assert not retry_due(_package(PackageStatus.PROCESSING, None), NOW + timedelta(days=1))


def test_retry_rounds_restart_at_a_multiple_and_only_grow() -> None:
    assert [next_round(n, 3) for n in (0, 1, 2, 3, 4, 6)] == [0, 3, 3, 3, 6, 6]
    assert [last_of_round(n, 3) for n in (1, 2, 3, 4, 6)] == [False, False, True, False, True]
    assert last_of_round(1, 1)


def test_package_links_cover_the_package_its_version_and_the_expiry() -> None:
    links = PackageLinks.make("http://books.test", b"s" * 32, timedelta(seconds=60))
    package = Package(7, 1, 4, PackageStatus.COMPLETE, "k", 1, None, 1, NOW, NOW)
    url = links.url(package, NOW)
    assert url.startswith("http://books.test/packages/7.zip?v=4&exp=")
    query = dict(part.split("=") for part in url.split("?")[1].split("&"))
    exp, sig = query["exp"], query["sig"]
    assert links.check(7, "4", exp, sig, NOW + timedelta(seconds=59)) is LinkCheck.VALID
    assert links.check(7, "4", exp, sig, NOW + timedelta(seconds=60)) is LinkCheck.EXPIRED
    assert links.check(8, "4", exp, sig, NOW) is LinkCheck.INVALID
    assert links.check(7, "5", exp, sig, NOW) is LinkCheck.INVALID
    assert links.check(7, "4", str(int(exp) + 1), sig, NOW) is LinkCheck.INVALID
    assert links.check(7, None, exp, sig, NOW) is LinkCheck.INVALID
    assert links.check(7, "-4", exp, sig, NOW) is LinkCheck.INVALID


def test_a_tampered_words_file_name_never_becomes_a_package_entry() -> None:
    from flipshelf.conversion.manifest import Manifest, Page, PageImage
    from flipshelf.packaging.build import _book_files

    image = {"normal": PageImage("pages/0001-normal.jpg", 10, 10)}
    good = Page(1, 1.0, 1.0, images=image, text="text/0001.txt", words="text/0001-words.json")
    assert ("text", "text/0001-words.json") in list(_book_files(Manifest("pdf", (good,), (), 1)))
    for name in ("../../etc/passwd", "text/0001-words.js", "text/x-words.json"):
        bad = Page(1, 1.0, 1.0, images=image, text="text/0001.txt", words=name)
        with pytest.raises(UnsafeEntry):
            list(_book_files(Manifest("pdf", (bad,), (), 1)))
