"""Whole conversions of real files: the files written, the manifest, progress, limits."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

import pytest
from PIL import Image

from flipshelf.conversion import (
    ConversionOptions,
    ImageSize,
    Manifest,
    PageLimitExceeded,
    ResourceLimitExceeded,
    ResourceLimits,
    UnsupportedDocument,
    convert_document,
    errors,
    read_manifest,
    render_zoom,
)
from tests.fixtures.documents.generate import OUTLINE, PAGE_WORDS, URI


def _convert(source: Path, out: Path, **options: object) -> tuple[Manifest, list[tuple[int, int]]]:
    calls: list[tuple[int, int]] = []
    manifest = convert_document(
        source,
        out,
        ConversionOptions(**options),
        lambda ready, count: calls.append((ready, count)),  # type: ignore[arg-type]
    )
    return manifest, calls


def _image_size(out: Path, file: str) -> tuple[int, int]:
    with Image.open(out / file) as image:
        assert image.format == "JPEG"
        return image.size


@pytest.fixture(scope="module")
def text_book(documents: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("text-book")
    convert_document(documents["text"], out)
    return out


def test_every_page_gets_a_thumbnail_and_a_normal_image_near_their_heights(text_book: Path) -> None:
    manifest = read_manifest(text_book)
    assert (manifest.page_count, manifest.pages_ready, manifest.complete) == (5, 5, True)
    for page in manifest.pages:
        assert _image_size(text_book, page.images["normal"].file) == (778, 1100)
        assert _image_size(text_book, page.images["thumb"].file) == (141, 200)
        assert "zoom" not in page.images


def test_each_page_text_is_extracted(text_book: Path) -> None:
    manifest = read_manifest(text_book)
    for page, word in zip(manifest.pages, PAGE_WORDS, strict=True):
        assert page.text is not None
        text = (text_book / page.text).read_text(encoding="utf-8")
        assert f"Page {page.number}: the {word} page" in text
    index = json.loads((text_book / "text" / "all.json").read_text(encoding="utf-8"))
    assert manifest.text_index == "text/all.json"
    assert [word in text for word, text in zip(PAGE_WORDS, index, strict=True)] == [True] * 5


def test_links_point_to_their_uri_or_page_in_page_fractions(text_book: Path) -> None:
    links = read_manifest(text_book).pages[0].links
    by_target = {link.uri or link.page: link.rect for link in links}
    # The javascript: link on the page is dropped; the web link and the page link remain.
    assert set(by_target) == {URI, 3}
    page_width, page_height = 595.2756, 841.8898
    assert by_target[URI] == pytest.approx(
        (72 / page_width, 1 - 720 / page_height, 272 / page_width, 1 - 700 / page_height), abs=2e-4
    )
    assert by_target[3] == pytest.approx(
        (72 / page_width, 1 - 115 / page_height, 200 / page_width, 1 - 95 / page_height), abs=2e-4
    )


def test_the_outline_keeps_titles_pages_and_nesting(text_book: Path) -> None:
    outline = read_manifest(text_book).outline
    assert [(entry.title, entry.page) for entry in outline] == [
        (OUTLINE[0][0], OUTLINE[0][1]),
        (OUTLINE[2][0], OUTLINE[2][1]),
    ]
    assert [(child.title, child.page) for child in outline[0].children] == [
        (OUTLINE[1][0], OUTLINE[1][1])
    ]


def test_the_zoom_pass_adds_large_images_later(documents: dict[str, Path], tmp_path: Path) -> None:
    convert_document(documents["text"], tmp_path)
    calls: list[tuple[int, int]] = []
    manifest = render_zoom(
        documents["text"], tmp_path, on_progress=lambda ready, count: calls.append((ready, count))
    )
    assert manifest.zoom_ready == 5 and calls[-1] == (5, 5)
    assert read_manifest(tmp_path) == manifest
    for page in manifest.pages:
        assert _image_size(tmp_path, page.images["zoom"].file) == (1556, 2200)


def test_mixed_page_sizes_keep_each_page_aspect(documents: dict[str, Path], tmp_path: Path) -> None:
    manifest, _ = _convert(documents["mixed"], tmp_path)
    expected = [
        (595.3, 841.9),
        (792, 612),
        (200, 200),
        (300, 900),
        (841.9, 595.3),
    ]  # last: /Rotate 90
    sizes = [value for page in manifest.pages for value in (page.width, page.height)]
    assert sizes == pytest.approx([value for size in expected for value in size], abs=0.1)
    for page in manifest.pages:
        width, height = _image_size(tmp_path, page.images["normal"].file)
        assert height == 1100
        assert width / height == pytest.approx(page.width / page.height, abs=0.002)


def test_a_200_inch_page_is_rendered_at_the_normal_size(
    documents: dict[str, Path], tmp_path: Path
) -> None:
    manifest, _ = _convert(documents["huge"], tmp_path)
    assert _image_size(tmp_path, manifest.pages[0].images["normal"].file) == (1100, 1100)


def test_a_page_over_the_pixel_budget_is_rendered_smaller(
    documents: dict[str, Path], tmp_path: Path
) -> None:
    # 14400 x 36 pt at 1100 px tall would be 440,000 px wide.
    manifest, _ = _convert(documents["strip"], tmp_path, max_page_pixels=2_000_000)
    width, height = _image_size(tmp_path, manifest.pages[0].images["normal"].file)
    assert width * height <= 2_000_000
    assert width / height == pytest.approx(400, rel=0.02)


def test_progress_grows_page_by_page_and_the_manifest_matches_it(
    documents: dict[str, Path], tmp_path: Path
) -> None:
    """Two passes: every page's images first (the book is readable), then every page's text,
    words and links. Each manifest on disk names only files already written."""
    seen: list[tuple[int, int, int, int]] = []

    def on_progress(ready: int, count: int) -> None:
        on_disk = read_manifest(tmp_path)
        for page in on_disk.pages[:ready]:
            assert page.images and all((tmp_path / i.file).is_file() for i in page.images.values())
        for page in on_disk.pages[: on_disk.text_ready]:
            assert page.text and page.words and (tmp_path / page.text).is_file()
            assert (tmp_path / page.words).is_file()
        # Pages finished out of order wait outside the manifest until the prefix reaches them.
        assert not any(page.images or page.text for page in on_disk.pages[ready:])
        assert not any(page.text for page in on_disk.pages[on_disk.text_ready :])
        seen.append((ready, count, on_disk.pages_ready, on_disk.text_ready))

    manifest = convert_document(
        documents["r_faq"], tmp_path, ConversionOptions(manifest_interval=0), on_progress
    )
    readies = [ready for ready, _, _, _ in seen]
    assert readies[0] < 52 and readies[-1] == 52
    assert readies == sorted(readies) and len(set(readies)) >= 10
    assert all(count == 52 and on_disk == ready for ready, count, on_disk, _ in seen)
    texts = [text for *_, text in seen]
    assert texts == sorted(texts) and texts[-1] == 52 and len(set(texts)) >= 10
    # No text is read before every page can be read.
    assert all(ready == 52 for ready, *_, text in seen if text > 0)
    assert manifest.complete and read_manifest(tmp_path) == manifest


def test_a_real_manual_keeps_its_outline_and_links(
    documents: dict[str, Path], tmp_path: Path
) -> None:
    manifest, _ = _convert(documents["r_faq"], tmp_path)
    titles = [entry.title for entry in manifest.outline]
    assert titles[:2] == ["1 Introduction", "2 R Basics"]
    assert manifest.outline[0].page == 5
    internal = [link for page in manifest.pages for link in page.links if link.page is not None]
    assert len(internal) > 50
    text = (tmp_path / manifest.pages[0].text).read_text(encoding="utf-8")  # type: ignore[operator]
    assert "Frequently Asked Questions on R" in text


def test_the_page_limit_is_checked_before_anything_is_rendered(
    documents: dict[str, Path], tmp_path: Path
) -> None:
    with pytest.raises(PageLimitExceeded):
        convert_document(documents["many"], tmp_path, ConversionOptions(max_pages=1000))
    assert list((tmp_path / "pages").iterdir()) == []
    assert not (tmp_path / "manifest.json").exists()


def test_an_encrypted_pdf_is_refused(documents: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(UnsupportedDocument, match=errors.PASSWORD_PROTECTED):
        convert_document(documents["encrypted"], tmp_path)


def test_a_jpeg_becomes_one_upright_page(documents: dict[str, Path], tmp_path: Path) -> None:
    manifest, calls = _convert(documents["exif_jpeg"], tmp_path)
    (page,) = manifest.pages
    assert (manifest.kind, page.width, page.height) == ("jpg", 200, 300)
    assert calls[-1] == (1, 1) and page.links == ()
    with Image.open(tmp_path / page.images["normal"].file) as image:
        assert image.size == (200, 300)  # a raster page is not enlarged
        top, bottom = image.getpixel((100, 40)), image.getpixel((100, 260))
    assert top[0] > 200 and top[2] < 60  # red on top once EXIF orientation 6 is applied
    assert bottom[2] > 200 and bottom[0] < 60


def test_a_transparent_png_page_is_shown_on_white(
    documents: dict[str, Path], tmp_path: Path
) -> None:
    manifest, _ = _convert(documents["png"], tmp_path)
    (page,) = manifest.pages
    assert (manifest.kind, page.width, page.height) == ("png", 1000, 1500)
    with Image.open(tmp_path / page.images["normal"].file) as image:
        assert image.size == (733, 1100)
        assert min(image.getpixel((5, 5))) > 245


def test_a_worker_over_its_cpu_time_is_stopped(documents: dict[str, Path], tmp_path: Path) -> None:
    limits = ResourceLimits(cpu_seconds=1)
    with pytest.raises(ResourceLimitExceeded, match=errors.CPU_TIME_EXCEEDED):
        convert_document(
            documents["many"], tmp_path, ConversionOptions(max_pages=1200, workers=1, limits=limits)
        )


def test_a_worker_over_its_memory_is_stopped(documents: dict[str, Path], tmp_path: Path) -> None:
    limits = ResourceLimits(memory_bytes=200 * 1024 * 1024)
    # An 8000 px tall zoom image of these colour pages needs over 200 MB of bitmap (the square
    # page: 256 MB); the normal size fits easily.
    zoom = ImageSize("zoom", 8000, 80)
    options = ConversionOptions(limits=limits, max_page_pixels=64_000_000, zoom=zoom)
    convert_document(documents["mixed"], tmp_path, options)
    with pytest.raises(ResourceLimitExceeded, match=errors.OUT_OF_MEMORY):
        render_zoom(documents["mixed"], tmp_path, options)


def test_a_conversion_past_its_deadline_is_stopped(
    documents: dict[str, Path], tmp_path: Path
) -> None:
    limits = ResourceLimits(wall_seconds=0.2)
    with pytest.raises(ResourceLimitExceeded, match=errors.TIME_EXCEEDED):
        convert_document(
            documents["many"], tmp_path, ConversionOptions(max_pages=1200, limits=limits)
        )


@pytest.mark.parametrize("name", ["binarytree", "quartic"])
def test_real_vector_figures_are_drawn(
    documents: dict[str, Path], tmp_path: Path, name: str
) -> None:
    manifest, _ = _convert(documents[name], tmp_path)
    with Image.open(tmp_path / manifest.pages[0].images["normal"].file) as image:
        darkest = image.convert("L").getextrema()[0]
        assert image.height == 1100
    assert darkest < 80  # lines were drawn, not a blank page


def test_pages_without_colour_are_grayscale_jpegs(
    documents: dict[str, Path], tmp_path: Path
) -> None:
    gray, _ = _convert(documents["text"], tmp_path / "text")
    colour, _ = _convert(documents["mixed"], tmp_path / "mixed")
    with Image.open(tmp_path / "text" / gray.pages[1].images["normal"].file) as image:
        assert image.mode == "L"
    with Image.open(tmp_path / "mixed" / colour.pages[0].images["normal"].file) as image:
        assert image.mode == "RGB"
        assert image.getpixel((image.width // 2, 100)) == pytest.approx((51, 102, 204), abs=12)


class _Stop(Exception):
    pass


def test_an_error_in_the_progress_callback_stops_the_conversion(
    documents: dict[str, Path], tmp_path: Path
) -> None:
    def on_progress(ready: int, count: int) -> None:
        raise _Stop()

    with pytest.raises(_Stop):
        convert_document(documents["r_faq"], tmp_path, on_progress=on_progress)
    assert multiprocessing.active_children() == []
    assert read_manifest(tmp_path).pages_ready < 52
