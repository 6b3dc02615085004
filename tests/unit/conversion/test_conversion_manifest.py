from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest

from flipshelf.conversion.manifest import (
    MANIFEST_NAME,
    MANIFEST_VERSION,
    READABLE_VERSIONS,
    Link,
    Manifest,
    ManifestWriter,
    OutlineEntry,
    Page,
    PageImage,
    read_manifest,
    write_manifest,
)
from flipshelf.player.assets import STATIC_DIR


def _manifest() -> Manifest:
    ready = Page(
        number=1,
        width=595.0,
        height=842.0,
        images={"normal": PageImage("pages/0001-normal.jpg", 777, 1100)},
        text="text/0001.txt",
        links=(
            Link((0.1, 0.2, 0.3, 0.4), uri="https://example.org/"),
            Link((0, 0, 1, 0.1), page=2),
        ),
    )
    outline = (OutlineEntry("One", 1, (OutlineEntry("One A", 2),)), OutlineEntry("Two", None))
    return Manifest(
        kind="pdf",
        pages=(ready, Page(2, 842.0, 595.0)),
        outline=outline,
        pages_ready=1,
        text_ready=1,
    )


def test_the_json_names_follow_the_documented_format() -> None:
    data = _manifest().to_json()
    assert data["version"] == 4
    assert (data["pageCount"], data["pagesReady"], data["textReady"]) == (2, 1, 1)
    assert data["complete"] is False
    first, second = data["pages"]
    assert first["images"]["normal"] == {
        "file": "pages/0001-normal.jpg",
        "width": 777,
        "height": 1100,
    }
    assert first["links"] == [
        {"rect": [0.1, 0.2, 0.3, 0.4], "uri": "https://example.org/"},
        {"rect": [0, 0, 1, 0.1], "page": 2},
    ]
    assert second == {"number": 2, "width": 842.0, "height": 595.0}
    assert data["outline"][0]["children"][0] == {"title": "One A", "page": 2, "children": []}


def test_a_manifest_survives_a_round_trip_through_a_file(tmp_path: Path) -> None:
    manifest = _manifest()
    write_manifest(tmp_path, manifest)
    assert read_manifest(tmp_path) == manifest
    assert [p.name for p in tmp_path.iterdir()] == ["manifest.json"]


def test_an_unknown_version_is_refused() -> None:
    data = _manifest().to_json() | {"version": MANIFEST_VERSION + 1}
    with pytest.raises(ValueError):
        Manifest.from_json(json.loads(json.dumps(data)))


def test_the_player_reads_the_versions_the_server_reads() -> None:
    """The player refuses a manifest it cannot read: it must know every version written."""
    script = (STATIC_DIR / "player" / "book.js").read_text(encoding="utf-8")
    found = re.search(r"const READABLE_VERSIONS = \[([0-9, ]+)\];", script)
    assert found is not None
    assert {int(v) for v in found.group(1).split(",")} == READABLE_VERSIONS
    assert MANIFEST_VERSION in READABLE_VERSIONS


def test_a_failed_page_carries_its_reason_and_no_files_and_survives_a_round_trip() -> None:
    manifest = _manifest()
    failed = Page(2, 842.0, 595.0, failed="corrupt PDF")
    manifest = replace(manifest.with_pages({2: failed}, 2), text_ready=2)
    data = json.loads(json.dumps(manifest.to_json()))
    expected = {"number": 2, "width": 842.0, "height": 595.0, "failed": "corrupt PDF"}
    assert data["pages"][1] == expected
    assert data["complete"] is True
    again = Manifest.from_json(data)
    assert again == manifest and again.failed_pages == (2,)


def test_version_1_manifests_are_read() -> None:
    data = _manifest().to_json() | {"version": 1}
    assert Manifest.from_json(json.loads(json.dumps(data))).failed_pages == ()


def test_before_version_3_a_page_had_its_text_with_its_images() -> None:
    data = _manifest().to_json() | {"version": 2}
    del data["textReady"]
    read = Manifest.from_json(json.loads(json.dumps(data)))
    assert (read.pages_ready, read.text_ready) == (1, 1)


def test_a_drawn_page_whose_text_is_not_read_yet_names_its_images_only() -> None:
    """The first pass makes a page readable; the manifest names only the files written so far."""
    manifest = _manifest()
    drawn = Page(2, 842.0, 595.0, images={"normal": PageImage("pages/0002-normal.jpg", 1100, 777)})
    data = json.loads(json.dumps(manifest.with_pages({2: drawn}, 2).to_json()))
    assert (data["pagesReady"], data["textReady"], data["complete"]) == (2, 1, False)
    assert set(data["pages"][1]) == {"number", "width", "height", "images"}
    assert Manifest.from_json(data).pages[1] == drawn


def test_the_writer_writes_the_bytes_write_manifest_writes_as_pages_change(tmp_path: Path) -> None:
    """The writer reuses each page's JSON while the page object is the same; a replaced page (the
    second one rendered, then the first one given a zoom image) is encoded again."""
    writer = ManifestWriter(tmp_path / "ours")
    (tmp_path / "ours").mkdir()
    (tmp_path / "plain").mkdir()
    first = _manifest()
    rendered = replace(first.pages[0], number=2, text="text/0002.txt", links=())
    zoom = PageImage("pages/0001-zoom.jpg", 1554, 2200)
    zoomed = replace(first.pages[0], images={**first.pages[0].images, "zoom": zoom})
    steps = [
        first,
        first.with_pages({2: rendered}, 2),
        replace(first.with_pages({1: zoomed, 2: rendered}, 2), zoom_ready=1, text_index="t.json"),
    ]
    for manifest in steps:
        writer.write(manifest)
        write_manifest(tmp_path / "plain", manifest)
        ours = (tmp_path / "ours" / MANIFEST_NAME).read_bytes()
        assert ours == (tmp_path / "plain" / MANIFEST_NAME).read_bytes()
        assert read_manifest(tmp_path / "ours") == manifest
    assert sorted(p.name for p in (tmp_path / "ours").iterdir()) == [MANIFEST_NAME]
