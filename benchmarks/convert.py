"""Conversion speed: pages per second until a flipbook is readable, beside three baselines.

For each document of a fixed corpus of real PDFs (Debian documentation packages), on all cores:

- flipshelf: `convert_document`, timed from the call until every page is readable (the normal
  image of every page and the first page's thumbnail, outline, manifest: the moment its progress
  callback says so) and its files are on the disk; and, as "complete", until it returns (the
  thumbnails, text, words and links of every page made in its second pass, the search index
  written) and those files are on the disk too;
- render+encode floor: pypdfium2 drawing the normal size in colour and Pillow (libjpeg-turbo)
  encoding it at the normal quality, in memory, in as many processes as flipshelf has workers:
  the least work a readable page needs (issue 16's floor; targets >= 0.8x overall and per kind);
- render-only floor: the same drawing without the encode (what issue 3 measured against);
- pdftoppm: poppler's `pdftoppm -jpeg` at the same normal height and quality, page ranges split
  across as many parallel processes, its files on the disk inside its clock (target: >= 2x).

Each contender's clock stops once its files are written out (a syncfs of their filesystem), so
writeback after the clock stops is counted for every tool alike.

flipshelf writes colourless pages as grayscale JPEGs (cheaper to encode, smaller) where a preview
found them colourless (on documents where previewing pays, see conversion/ways.py); pdftoppm and
the floors draw and encode every page in colour. Bytes per page of each contender's normal-size
images are printed, so the difference is visible. Nothing here is asserted; it is run by hand:

    .venv/bin/python benchmarks/convert.py                 # the Debian corpus (see --cache)
    .venv/bin/python benchmarks/convert.py --corpus DIR    # every PDF in DIR instead
    TMPDIR=/dev/shm .venv/bin/python benchmarks/convert.py # output files on tmpfs, for both tools

The corpus is looked for where the Debian packages install it, then under --cache (default
~/.cache/flipshelf-bench), where the packages are fetched with `apt-get download` and unpacked
with `dpkg-deb -x` (no installation). Without either, the repository's test fixtures are used.
Output files go to the temporary directory (TMPDIR), whose filesystem is printed: on a VM disk
creating a file can cost a millisecond of CPU.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import ctypes
import io
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

from flipshelf.conversion import ConversionOptions, convert_document
from flipshelf.conversion.options import default_workers

_T = TypeVar("_T")
TEXLIVE = "usr/share/doc/texlive-doc/latex"
# (kind, Debian package, file inside the package): one document of each kind issue 16 names.
CORPUS = [
    ("text manual", "r-doc-pdf", "usr/share/doc/r-doc-pdf/manual/R-intro.pdf"),
    ("manual + plots", "gnuplot-doc", "usr/share/doc/gnuplot/gnuplot.pdf"),
    ("vector plots", "texlive-pictures-doc", f"{TEXLIVE}/pgfplots/pgfplots.pdf"),
    ("maps", "texlive-pictures-doc", f"{TEXLIVE}/mercatormap/mercatormap.pdf"),
    ("photos", "texlive-latex-extra-doc", f"{TEXLIVE}/hvfloat/hvfloat.pdf"),
]
FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "documents"
NORMAL_HEIGHT = ConversionOptions().normal.height
NORMAL_QUALITY = ConversionOptions().normal.quality
CONTENDERS = ("flipshelf", "encode_floor", "render_floor", "pdftoppm", "complete")


@dataclass
class Row:
    kind: str
    name: str
    pages: int
    seconds: dict[str, float]
    bytes: dict[str, int]  # of the normal-size images (the floor's are encoded, never written)


def find_corpus(cache: Path) -> list[tuple[str, Path]]:
    """The Debian documents, installed or unpacked into `cache`; else the test fixtures."""
    found: list[tuple[str, Path]] = []
    missing: set[str] = set()
    for kind, package, inside in CORPUS:
        path = next((p for p in (Path("/") / inside, cache / inside) if p.exists()), None)
        if path is None:
            missing.add(package)
        else:
            found.append((kind, path))
    if missing and unpack_packages(sorted(missing), cache):
        return find_corpus(cache)
    if found:
        return found
    print(f"Debian corpus missing ({', '.join(sorted(missing))}): using {FIXTURES}")
    return [("fixture", path) for path in sorted(FIXTURES.glob("*.pdf"))]


def unpack_packages(packages: list[str], cache: Path) -> bool:
    """`apt-get download` the packages and unpack them into `cache` (nothing is installed)."""
    if shutil.which("apt-get") is None or shutil.which("dpkg-deb") is None:
        return False
    debs = cache / "debs"
    debs.mkdir(parents=True, exist_ok=True)
    fetched = subprocess.run(["apt-get", "download", *packages], cwd=debs, check=False)
    if fetched.returncode != 0:
        return False
    for package in packages:
        for deb in debs.glob(f"{package}_*.deb"):
            subprocess.run(["dpkg-deb", "-x", str(deb), str(cache)], check=True)
    return True


def ensure_pdftoppm() -> None:
    if shutil.which("pdftoppm") is None and os.geteuid() == 0:
        subprocess.run(["apt-get", "install", "-y", "--no-install-recommends", "poppler-utils"])
    if shutil.which("pdftoppm") is None:
        sys.exit("pdftoppm missing: apt-get install poppler-utils")


def page_count(path: Path) -> int:
    import pypdfium2

    with pypdfium2.PdfDocument(path) as pdf:
        return len(pdf)


def fsync_tree(root: Path) -> None:
    """Flush what was written under `root` to the disk: inside the contender's clock, so
    writeback after the clock stops is not left uncounted (it favoured whoever writes more
    files). One syncfs(2) of the filesystem, as the kernel's own writeback would batch the files
    into few journal commits; an fsync per file would force a commit per file instead and charge
    the tool writing more files for commits it would never cause. (It also flushes whatever else
    is dirty on that filesystem: on a shared machine, one more reason to compare within a run.)"""
    libc = ctypes.CDLL(None, use_errno=True)
    descriptor = os.open(root, os.O_RDONLY)
    try:
        if libc.syncfs(descriptor) != 0:
            raise OSError(ctypes.get_errno(), "syncfs failed")
    finally:
        os.close(descriptor)


def normal_bytes(root: Path, suffix: str) -> int:
    return sum(path.stat().st_size for path in root.rglob(f"*{suffix}"))


def time_flipshelf(path: Path, workers: int) -> tuple[tuple[float, int], tuple[float, int]]:
    """(seconds until readable, bytes of the normal images) and (seconds until complete, the
    same bytes), each with its files flushed inside the clock."""
    options = ConversionOptions(workers=workers, max_pages=100_000)
    readable: list[float] = []
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()

        def on_progress(ready: int, count: int) -> None:
            if ready == count and not readable:
                fsync_tree(Path(out))
                readable.append(time.perf_counter() - started)

        convert_document(path, Path(out), options, on_progress)
        fsync_tree(Path(out))
        complete = time.perf_counter() - started
        size = normal_bytes(Path(out), "-normal.jpg")
        return (readable[0], size), (complete, size)


def time_zoom(path: Path, workers: int) -> float:
    """Seconds of the zoom pass after a conversion (only with --zoom)."""
    from flipshelf.conversion import render_zoom

    options = ConversionOptions(workers=workers, max_pages=100_000)
    with tempfile.TemporaryDirectory() as out:
        convert_document(path, Path(out), options)
        started = time.perf_counter()
        render_zoom(path, Path(out), options)
        fsync_tree(Path(out))
        return time.perf_counter() - started


def time_pdftoppm(path: Path, pages: int, workers: int) -> tuple[float, int]:
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
        fsync_tree(Path(out))
        return time.perf_counter() - started, normal_bytes(Path(out), ".jpg")


def split_ranges(pages: int, parts: int) -> list[tuple[int, int]]:
    size = max(1, -(-pages // parts))
    return [(first, min(pages, first + size - 1)) for first in range(1, pages + 1, size)]


def floor_worker(path: str, start: int, step: int, encode: bool) -> int:
    """Draw every `step`-th page from `start` at the normal height, in colour; with `encode`,
    encode it as flipshelf's normal JPEG in memory. Returns the bytes encoded."""
    import pypdfium2
    from PIL import Image

    pdf = pypdfium2.PdfDocument(path)
    encoded = 0
    for index in range(start, len(pdf), step):
        page = pdf[index]
        bitmap = page.render(scale=NORMAL_HEIGHT / page.get_height(), rev_byteorder=True)
        if encode:
            image = Image.frombuffer("RGB", (bitmap.width, bitmap.height), bitmap.buffer,
                                     "raw", "RGB", bitmap.stride, 1)  # fmt: skip
            out = io.BytesIO()
            image.save(out, format="JPEG", quality=NORMAL_QUALITY)
            encoded += out.tell()
        page.close()
    pdf.close()
    return encoded


def time_floor(path: Path, workers: int, encode: bool) -> tuple[float, int]:
    context = multiprocessing.get_context("forkserver")
    with concurrent.futures.ProcessPoolExecutor(workers, mp_context=context) as pool:
        for _ in range(workers):
            pool.submit(int, 0).result()  # start the processes before the clock does
        started = time.perf_counter()
        futures = [pool.submit(floor_worker, str(path), k, workers, encode) for k in range(workers)]
        encoded = sum(future.result() for future in futures)
        return time.perf_counter() - started, encoded


def cpu_per_page(path: Path, pages: int) -> tuple[float, float, float]:
    """(flipshelf until readable, render+encode floor, flipshelf's text pass) CPU seconds per
    page, in this one process, taking turns page by page over the first `pages` pages: CPU time,
    so far steadier than the rates on a shared machine, but without the parent's share, the
    pipes or the writeback."""
    import pypdfium2
    from PIL import Image

    from flipshelf.conversion.pages import PAGES_DIR, TEXT_DIR, convert_page, read_page_text
    from flipshelf.conversion.pdfium import PdfSource
    from flipshelf.conversion.ways import WayChooser

    source, pdf, chooser = PdfSource(path), pypdfium2.PdfDocument(path), WayChooser()
    ours = floor = text = 0.0
    count = min(pages, source.page_count)
    with tempfile.TemporaryDirectory() as out:
        for name in (PAGES_DIR, TEXT_DIR):
            (Path(out) / name).mkdir()
        for index in range(count):
            started = time.process_time()
            convert_page(source, index, Path(out), ConversionOptions(), chooser)
            ours += time.process_time() - started
            started = time.process_time()
            read_page_text(source, index, Path(out), ConversionOptions())
            text += time.process_time() - started
            started = time.process_time()
            page = pdf[index]
            bitmap = page.render(scale=NORMAL_HEIGHT / page.get_height(), rev_byteorder=True)
            image = Image.frombuffer("RGB", (bitmap.width, bitmap.height), bitmap.buffer,
                                     "raw", "RGB", bitmap.stride, 1)  # fmt: skip
            image.save(io.BytesIO(), format="JPEG", quality=NORMAL_QUALITY)
            page.close()
            floor += time.process_time() - started
    source.close()
    pdf.close()
    return ours / count, floor / count, text / count


def first_page_latency(workers: int) -> tuple[float, float, float]:
    """(cold, warm, total) seconds for a generated 1,000-page text document, in-process.

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
    """Best of `rounds`, the contenders taking turns within each round, so that load from
    other processes on a shared machine hits all of them alike and the best run shows each one's
    speed with the least interference."""
    pages = page_count(path)
    runs: list[dict[str, tuple[float, int]]] = []
    for _ in range(rounds):
        readable, complete = settled(time_flipshelf(path, workers))
        runs.append(
            {
                "render_floor": settled(time_floor(path, workers, encode=False)),
                "encode_floor": settled(time_floor(path, workers, encode=True)),
                "pdftoppm": settled(time_pdftoppm(path, pages, workers)),
                "flipshelf": readable,
                "complete": complete,
            }
        )
    seconds = {name: min(run[name][0] for run in runs) for name in CONTENDERS}
    sizes = {name: runs[0][name][1] for name in CONTENDERS}
    return Row(kind, path.name, pages, seconds, sizes)


def filesystem_of(path: str) -> str:
    """The type of the filesystem holding `path`: creating a file costs about 1 ms of CPU on the
    reference VM's ext4 and 0.05 ms on tmpfs."""
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
    """`result`, once the kernel has written out and discarded what the contender deleted, so
    the next contender does not pay for the previous one's files."""
    os.sync()
    time.sleep(0.5)
    return result


def report(rows: list[Row], workers: int) -> None:
    print(f"\nworkers: {workers}; rates in pages per second; ratios are flipshelf / baseline")
    print("flipshelf writes colourless pages it previewed in grayscale,", end=" ")
    print("pdftoppm and the floors in colour;")
    print("KB/page is of the normal-size JPEGs (the floor's are encoded in memory, not written)")
    head = f"{'kind':15} {'document':20} {'pages':>5} {'flipshelf':>9} {'enc.floor':>9}"
    head += f" {'render fl':>9} {'pdftoppm':>8} | {'vs enc.floor':>12} {'vs render':>9}"
    head += f" {'vs pdftoppm':>11} | {'complete':>8} {'vs enc.fl':>9}"
    print(head + " | KB/page ours enc.floor pdftoppm")
    for row in [*rows, total(rows)]:
        rate = {name: row.pages / row.seconds[name] for name in CONTENDERS}
        kb = {name: row.bytes[name] / row.pages / 1024 for name in CONTENDERS}
        ours = rate["flipshelf"]
        print(
            f"{row.kind:15} {row.name[:20]:20} {row.pages:5d} {ours:9.1f}"
            f" {rate['encode_floor']:9.1f} {rate['render_floor']:9.1f} {rate['pdftoppm']:8.1f} |"
            f" {ours / rate['encode_floor']:11.2f}x {ours / rate['render_floor']:8.2f}x"
            f" {ours / rate['pdftoppm']:10.2f}x |"
            f" {rate['complete']:8.1f} {rate['complete'] / rate['encode_floor']:8.2f}x |"
            f" {kb['flipshelf']:12.1f} {kb['encode_floor']:9.1f} {kb['pdftoppm']:8.1f}"
        )


def total(rows: list[Row]) -> Row:
    pages = sum(row.pages for row in rows)
    seconds = {name: sum(row.seconds[name] for row in rows) for name in CONTENDERS}
    sizes = {name: sum(row.bytes[name] for row in rows) for name in CONTENDERS}
    return Row("all", "(total time)", pages, seconds, sizes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, help="a directory of PDFs to use instead")
    default_cache = Path.home() / ".cache" / "flipshelf-bench"
    parser.add_argument("--cache", type=Path, default=default_cache,
                        help="where Debian's documentation packages are unpacked")  # fmt: skip
    parser.add_argument("--workers", type=int, default=default_workers())
    parser.add_argument("--rounds", type=int, default=3, help="runs per document; best counts")
    parser.add_argument("--zoom", action="store_true", help="also time the zoom pass")
    parser.add_argument("--first-page", action="store_true",
                        help="also time the first page of a 1,000-page document")  # fmt: skip
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
        corpus = find_corpus(args.cache)
    print("documents: " + ", ".join(f"{path} ({kind})" for kind, path in corpus))
    scratch = tempfile.gettempdir()
    print(f"files written under {scratch} ({filesystem_of(scratch)}; TMPDIR chooses)")
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    rows = []
    for kind, path in corpus:
        rows.append(measure(kind, path, args.workers, args.rounds))
        print(f"measured {path.name}", file=sys.stderr)
    report(rows, args.workers)
    print(f"load average after: {os.getloadavg()[0]:.2f} (other work here skews all of them)")
    print("\nCPU per page in one process, turn about (first 60 pages; no parent, pipes, writeback)")
    for kind, path in corpus:
        ours, floor, text = cpu_per_page(path, 60)
        print(f"{kind:15} {path.name[:20]:20} flipshelf {ours * 1e3:5.1f} ms,"
              f" render+encode floor {floor * 1e3:5.1f} ms: {floor / ours:.2f}x;"
              f" then the text pass {text * 1e3:5.1f} ms")  # fmt: skip
    if args.zoom:
        for _, path in corpus:
            seconds = time_zoom(path, args.workers)
            print(f"zoom pass, {path.name}: {page_count(path) / seconds:.1f} pages/s")
    if args.first_page:
        cold, warm, whole = first_page_latency(args.workers)
        print(
            f"\n1,000-page text document: first page readable after {cold:.2f} s in a fresh"
            f" process (fork server start included), {warm:.2f} s in a warm one;"
            f" all pages after {whole:.1f} s"
        )


if __name__ == "__main__":
    main()
