"""Conversion speed: pages per second until a flipbook is readable, beside two baselines.

For each document of a fixed corpus of real PDFs (Debian documentation packages), on all cores:

- flipshelf: `convert_document` (thumbnail + normal image of every page, text, links, outline,
  manifest), timed from the call until it returns;
- pdftoppm: poppler's `pdftoppm -jpeg` at the same normal height, page ranges split across as many
  parallel processes as flipshelf uses workers;
- floor: pypdfium2 rendering the normal size into bitmaps and throwing them away (no encoding,
  no text, no files), split the same way: the fastest any PDFium-based converter could be.

It prints flipshelf's rate and its ratio to each baseline (targets: >= 1.5x pdftoppm, >= 0.6x the
floor), the zoom pass separately, and the time until the first page of a 1,000-page document is
readable (target < 1 s). Nothing here is asserted; it is run by hand:

    .venv/bin/python benchmarks/convert.py                 # the Debian corpus (installs it if root)
    .venv/bin/python benchmarks/convert.py --corpus DIR    # every PDF in DIR instead
    TMPDIR=/dev/shm .venv/bin/python benchmarks/convert.py # output files on tmpfs, for both tools

Output files go to the temporary directory (TMPDIR), whose filesystem is printed: on a VM disk
creating a file can cost a millisecond of CPU, which flipshelf (three files a page) pays more
often than pdftoppm (one) and the floor (none).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from flipshelf.conversion import ConversionOptions, convert_document, render_zoom
from flipshelf.conversion.options import default_workers

_T = TypeVar("_T")
TEXLIVE = "/usr/share/doc/texlive-doc/latex"
# (kind, Debian package, file): one document of each kind the brief names.
CORPUS = [
    ("text manual", "r-doc-pdf", "/usr/share/doc/r-doc-pdf/manual/R-intro.pdf"),
    ("manual + plots", "gnuplot-doc", "/usr/share/doc/gnuplot/gnuplot.pdf"),
    ("vector plots", "texlive-pictures-doc", f"{TEXLIVE}/pgfplots/pgfplots.pdf"),
    ("maps", "texlive-pictures-doc", f"{TEXLIVE}/mercatormap/mercatormap.pdf"),
    ("photos", "texlive-pictures-doc", f"{TEXLIVE}/hvfloat/hvfloat.pdf"),
]
NORMAL_HEIGHT = ConversionOptions().normal.height
NORMAL_QUALITY = ConversionOptions().normal.quality


@dataclass
class Row:
    kind: str
    name: str
    pages: int
    flipshelf: float
    zoom: float
    pdftoppm: float
    floor: float


def ensure_corpus() -> list[tuple[str, Path]]:
    missing = sorted({package for _, package, file in CORPUS if not Path(file).exists()})
    if missing and os.geteuid() == 0:
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        install = ["apt-get", "install", "-y", "--no-install-recommends", *missing]
        subprocess.run(install, check=True)
    found = [(kind, Path(file)) for kind, _, file in CORPUS if Path(file).exists()]
    if not found:
        sys.exit(f"corpus missing: apt-get install {' '.join(missing)} (or pass --corpus DIR)")
    return found


def ensure_pdftoppm() -> None:
    if shutil.which("pdftoppm") is None and os.geteuid() == 0:
        subprocess.run(["apt-get", "install", "-y", "--no-install-recommends", "poppler-utils"])
    if shutil.which("pdftoppm") is None:
        sys.exit("pdftoppm missing: apt-get install poppler-utils")


def page_count(path: Path) -> int:
    import pypdfium2

    with pypdfium2.PdfDocument(path) as pdf:
        return len(pdf)


def time_flipshelf(path: Path, workers: int) -> tuple[float, float]:
    """Seconds until readable, then seconds of the zoom pass."""
    options = ConversionOptions(workers=workers, max_pages=100_000)
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        convert_document(path, Path(out), options)
        readable = time.perf_counter() - started
        started = time.perf_counter()
        render_zoom(path, Path(out), options)
        return readable, time.perf_counter() - started


def time_pdftoppm(path: Path, pages: int, workers: int) -> float:
    """poppler at the normal height, JPEG at our quality; 4 page ranges per process."""
    chunks = split_ranges(pages, workers * 4)
    with tempfile.TemporaryDirectory() as out:

        def run(chunk: tuple[int, int]) -> None:
            first, last = chunk
            command = [
                "pdftoppm", "-jpeg", "-jpegopt", f"quality={NORMAL_QUALITY}",
                "-scale-to-x", "-1", "-scale-to-y", str(NORMAL_HEIGHT),
                "-f", str(first), "-l", str(last), str(path), f"{out}/p{first}",
            ]  # fmt: skip
            subprocess.run(command, check=True, capture_output=True)

        started = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(workers) as pool:
            list(pool.map(run, chunks))
        return time.perf_counter() - started


def split_ranges(pages: int, parts: int) -> list[tuple[int, int]]:
    size = max(1, -(-pages // parts))
    return [(first, min(pages, first + size - 1)) for first in range(1, pages + 1, size)]


def floor_worker(path: str, start: int, step: int) -> int:
    """Render every `step`-th page from `start` at the normal height; keep nothing."""
    import pypdfium2

    pdf = pypdfium2.PdfDocument(path)
    rendered = 0
    for index in range(start, len(pdf), step):
        page = pdf[index]
        page.render(scale=NORMAL_HEIGHT / page.get_height())
        page.close()
        rendered += 1
    pdf.close()
    return rendered


def time_floor(path: Path, workers: int) -> float:
    context = multiprocessing.get_context("forkserver")
    with concurrent.futures.ProcessPoolExecutor(workers, mp_context=context) as pool:
        pool.submit(int, 0).result()  # start the processes before the clock does
        started = time.perf_counter()
        futures = [pool.submit(floor_worker, str(path), k, workers) for k in range(workers)]
        for future in futures:
            future.result()
        return time.perf_counter() - started


def first_page_latency(workers: int) -> tuple[float, float, float]:
    """(cold, warm, total) seconds for a generated 1,000-page text document.

    cold: in a fresh interpreter, so it includes starting the fork server; warm: a second
    conversion in the same process, as in a long-running worker.
    """
    with tempfile.TemporaryDirectory() as scratch:
        document = Path(scratch) / "thousand.pdf"
        make_long_document(document, 1000)
        cold = subprocess.run(
            [sys.executable, __file__, "--first-page-only", str(document), str(workers)],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        warm, total = first_page(document, workers, Path(scratch) / "warm")
        return float(cold.stdout.split()[0]), warm, total


def first_page(document: Path, workers: int, out: Path) -> tuple[float, float]:
    first: list[float] = []
    started = time.perf_counter()

    def on_progress(ready: int, count: int) -> None:
        if not first:
            first.append(time.perf_counter() - started)

    convert_document(document, out, ConversionOptions(workers=workers), on_progress)
    return first[0], time.perf_counter() - started


def make_long_document(path: Path, pages: int) -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    page = canvas.Canvas(str(path), pagesize=A4)
    for number in range(1, pages + 1):
        page.setFont("Times-Roman", 11)
        for line in range(48):
            page.drawString(60, 780 - line * 15, f"Page {number}, line {line}: " + "lorem " * 12)
        page.showPage()
    page.save()


def measure(kind: str, path: Path, workers: int, rounds: int) -> Row:
    """Best of `rounds`, the three contenders taking turns within each round, so that load from
    other processes on a shared machine hits all of them alike and the best run shows each one's
    speed with the least interference."""
    pages = page_count(path)
    runs = []
    for _ in range(rounds):
        floor = settled(time_floor(path, workers))
        pdftoppm = settled(time_pdftoppm(path, pages, workers))
        readable, zoom = settled(time_flipshelf(path, workers))
        runs.append((readable, zoom, pdftoppm, floor))
    best = [min(run[i] for run in runs) for i in range(4)]
    return Row(kind, path.name, pages, *best)


def filesystem_of(path: str) -> str:
    """The type of the filesystem holding `path`: creating a file costs about 1 ms of CPU on the
    reference VM's ext4 and 0.05 ms on tmpfs, and flipshelf writes three files a page."""
    best, kind = "", "unknown"
    with open("/proc/mounts", encoding="utf-8") as mounts:
        for line in mounts:
            fields = line.split()
            point = fields[1]
            inside = path == point or path.startswith(point.rstrip("/") + "/")
            if inside and len(point) > len(best):
                best, kind = point, fields[2]
    return kind


def settled(result: _T) -> _T:
    """`result`, once the kernel has written out and discarded what the contender wrote.

    pdftoppm and flipshelf write a file or three per page (about 100 MB for a 500-page manual)
    and delete them at the end; on a VM disk the writeback and the discards of those deletions
    cost CPU for a second or more afterwards. Without this the next contender, often flipshelf
    right after pdftoppm, paid for the previous one's files (up to a third of its speed here).
    Each contender still pays for writing out its own files while it runs."""
    os.sync()
    time.sleep(0.5)
    return result


def report(rows: list[Row], workers: int) -> None:
    print(f"\nworkers: {workers}; rates in pages per second, ratios are flipshelf / baseline")
    head = f"{'kind':15} {'document':28} {'pages':>5} {'flipshelf':>9} {'pdftoppm':>9}"
    print(head + f" {'floor':>7} {'vs pdftoppm':>11} {'vs floor':>8} {'zoom pass':>9}")
    for row in [*rows, total(rows)]:
        ours, poppler, floor = (row.pages / t for t in (row.flipshelf, row.pdftoppm, row.floor))
        print(
            f"{row.kind:15} {row.name[:28]:28} {row.pages:5d} {ours:9.1f} {poppler:9.1f}"
            f" {floor:7.1f} {ours / poppler:10.2f}x {ours / floor:7.2f}x"
            f" {row.pages / row.zoom:9.1f}"
        )


def total(rows: list[Row]) -> Row:
    def add(name: str) -> float:
        return float(sum(getattr(row, name) for row in rows))

    pages = sum(row.pages for row in rows)
    times = (add(name) for name in ("flipshelf", "zoom", "pdftoppm", "floor"))
    return Row("all", "(total time)", pages, *times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, help="a directory of PDFs to use instead")
    parser.add_argument("--workers", type=int, default=default_workers())
    parser.add_argument("--rounds", type=int, default=3, help="runs per document; best counts")
    parser.add_argument("--first-page-only", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.first_page_only:
        document, workers = args.first_page_only
        with tempfile.TemporaryDirectory() as out:
            print(first_page(Path(document), int(workers), Path(out))[0])
        return
    ensure_pdftoppm()
    if args.corpus:
        corpus = [("given", path) for path in sorted(args.corpus.glob("*.pdf"))]
    else:
        corpus = ensure_corpus()
    scratch = tempfile.gettempdir()
    print(f"files written under {scratch} ({filesystem_of(scratch)}; TMPDIR chooses)")
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    rows = []
    for kind, path in corpus:
        rows.append(measure(kind, path, args.workers, args.rounds))
        print(f"measured {path.name}", file=sys.stderr)
    report(rows, args.workers)
    print(f"load average after: {os.getloadavg()[0]:.2f} (other work here skews all three)")
    cold, warm, whole = first_page_latency(args.workers)
    print(
        f"\n1,000-page text document: first page readable after {cold:.2f} s in a fresh process"
        f" (fork server start included), {warm:.2f} s in a warm one; all pages after {whole:.1f} s"
    )


if __name__ == "__main__":
    main()
