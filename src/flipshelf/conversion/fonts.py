"""Fallback fonts: what PDFium draws text with when a PDF names a font it does not embed.

Many Chinese, Japanese and Korean PDFs name a standard Adobe CJK font (`STSong-Light`,
`HeiseiMin-W3`...) and leave it to the reader's system. PDFium then looks for a system font that
covers the script; with none, it draws nothing and the page image is blank where the text is,
though the text view is right. flipshelf's install puts one in (`scripts/install-fonts.sh`:
Debian's `fonts-wqy-microhei`, 1.6 MB to download, which covers all four scripts; measured
against `fonts-droid-fallback`, which leaves Korean blank, and `fonts-noto-cjk`, 56 MB).

`missing_fallback_fonts()` is the check `flipshelf check` reports: it draws a small built-in PDF
with one line per script in a throwaway process (PDFium is never loaded by the caller) and names
the scripts that came out blank.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

FALLBACK_PACKAGE = "fonts-wqy-microhei"
PROBE_SECONDS = 60.0
_PAGE = 400  # the probe page is this many points square, one script per band of 80 pt


@dataclass(frozen=True)
class Script:
    """A script and the standard, never embedded, Adobe font a PDF names for it."""

    name: str
    font: str
    encoding: str  # the CMap from Unicode (UCS-2) to the font's CIDs
    ordering: str
    supplement: int
    sample: str


SCRIPTS = (
    Script("Japanese", "HeiseiMin-W3", "UniJIS-UCS2-H", "Japan1", 2, "日本語の文章"),
    Script("Simplified Chinese", "STSong-Light", "UniGB-UCS2-H", "GB1", 2, "中文简体字"),
    Script("Traditional Chinese", "MSung-Light", "UniCNS-UCS2-H", "CNS1", 1, "中文繁體字"),
    Script("Korean", "HYSMyeongJo-Medium", "UniKS-UCS2-H", "Korea1", 1, "한국어 문장"),
)


def missing_fallback_fonts() -> list[str]:
    """What is missing for PDFium to draw CJK text a PDF does not embed the font of, one line
    per script, each saying what to install; empty when every script is drawn."""
    return _missing(None)


def _missing(font_dirs: Sequence[Path] | None) -> list[str]:
    """As `missing_fallback_fonts`, with PDFium looking for fonts in `font_dirs` only (None:
    the system's font directories)."""
    try:
        blank = _probe_in_a_process(font_dirs)
    except _ProbeFailed as failure:
        return [f"the font check could not run: {failure}"]
    hint = f"install a CJK fallback font (on Debian: apt-get install {FALLBACK_PACKAGE})"
    return [f"{name} text in fonts a PDF does not embed is drawn blank: {hint}" for name in blank]


class _ProbeFailed(Exception):
    pass


def _probe_in_a_process(font_dirs: Sequence[Path] | None) -> list[str]:
    from flipshelf.conversion.pool import worker_context  # its fork server preloads PDFium

    context = worker_context()
    parent_end, child_end = context.Pipe(duplex=False)
    dirs = [str(path) for path in font_dirs] if font_dirs is not None else None
    process = context.Process(target=_probe_main, args=(child_end, dirs), daemon=True)
    process.start()
    child_end.close()
    try:
        if not parent_end.poll(PROBE_SECONDS):
            raise _ProbeFailed("PDFium did not answer in time")
        answer = json.loads(parent_end.recv_bytes(64 * 1024))
    except (EOFError, OSError, ValueError):
        raise _ProbeFailed("the PDFium process stopped") from None
    finally:
        if process.is_alive():
            process.kill()
        process.join(timeout=5)
        parent_end.close()
    return [str(name) for name in answer]


def _probe_main(conn: Connection, font_dirs: list[str] | None) -> None:
    try:
        conn.send_bytes(json.dumps(blank_scripts(font_dirs)).encode())
    finally:
        conn.close()


def blank_scripts(font_dirs: list[str] | None) -> list[str]:
    """The scripts PDFium draws nothing for, in this process (a throwaway one: PDFium is
    re-initialised here when `font_dirs` is given)."""
    import ctypes

    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    if font_dirs is not None:
        encoded = [path.encode() for path in font_dirs]
        paths = (ctypes.POINTER(ctypes.c_char) * (len(encoded) + 1))()
        buffers = [ctypes.create_string_buffer(path) for path in encoded]
        for index, buffer in enumerate(buffers):
            paths[index] = ctypes.cast(buffer, ctypes.POINTER(ctypes.c_char))
        pdfium_c.FPDF_DestroyLibrary()
        config = pdfium_c.FPDF_LIBRARY_CONFIG(
            version=2,
            m_pUserFontPaths=paths,
            m_pIsolate=None,
            m_v8EmbedderSlot=0,
        )
        pdfium_c.FPDF_InitLibraryWithConfig(config)
    document = pdfium.PdfDocument(probe_pdf())
    try:
        image = document[0].render(scale=1, grayscale=True).to_pil()
    finally:
        document.close()
    blank = []
    for band, script in enumerate(SCRIPTS):
        strip = image.crop((0, band * 80 + 20, image.width, band * 80 + 80))
        if sum(strip.histogram()[:128]) == 0:
            blank.append(script.name)
    return blank


def probe_pdf() -> bytes:
    """One page with a line of each script, in its standard font, not embedded."""
    fonts = "".join(f"/F{n} {5 + 3 * n} 0 R " for n in range(len(SCRIPTS)))
    lines = "".join(
        f"BT /F{n} 40 Tf 20 {_PAGE - 70 - 80 * n} Td <{script.sample.encode('utf-16-be').hex()}>"
        " Tj ET\n"
        for n, script in enumerate(SCRIPTS)
    )
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {_PAGE} {_PAGE}] "
        f"/Resources << /Font << {fonts}>> >> /Contents 4 0 R >>",
        f"<< /Length {len(lines)} >>\nstream\n{lines}endstream",
    ]
    for n, script in enumerate(SCRIPTS):
        objects += [
            f"<< /Type /Font /Subtype /Type0 /BaseFont /{script.font} "
            f"/Encoding /{script.encoding} /DescendantFonts [{6 + 3 * n} 0 R] >>",
            f"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /{script.font} "
            f"/CIDSystemInfo << /Registry (Adobe) /Ordering ({script.ordering}) "
            f"/Supplement {script.supplement} >> /FontDescriptor {7 + 3 * n} 0 R /DW 1000 >>",
            f"<< /Type /FontDescriptor /FontName /{script.font} /Flags 6 "
            "/FontBBox [0 -200 1000 900] /ItalicAngle 0 /Ascent 880 /Descent -120 "
            "/CapHeight 700 /StemV 80 >>",
        ]
    return _pdf(objects)


def _pdf(objects: list[str]) -> bytes:
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("ascii")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode("ascii")
    out += "".join(f"{offset:010d} 00000 n \n" for offset in offsets).encode("ascii")
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\n".encode("ascii")
    out += f"startxref\n{xref}\n%%EOF\n".encode("ascii")
    return bytes(out)
