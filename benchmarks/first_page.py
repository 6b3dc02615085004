"""What a user feels of an upload, through the running server: how fast `collection.create`
answers for a document of about 1 MB, and how soon the first page of a 1000-page document can be
read after create answered. Each figure is printed beside a baseline measured in the same run.

The server is the installed `flipshelf serve` with the defaults `make serve` uses (SQLite, local
files, its own worker process), but for `max_pages` (the 1000-page document must pass) and rate
limits high enough that the polling is never refused. Everything goes over HTTP as a client's
calls do: a signed multipart POST, then the flipbook's `manifest.json` polled every 20 ms until
the first page is ready and its image answers 200.

- create, ~1 MB: the client's wall time from sending the POST to the answer, median of `--rounds`.
  Baseline: the same bytes written and fsynced to a new file on the data dir's disk (the least a
  durable accept must do), and the server answering a signed `collection.getList` (one
  round trip of the same protocol).
- first page, 1000 pages: from create's answer until page 1's image can be fetched, median, on
  an idle server (every earlier book converted). Baseline: `pdftoppm -f 1 -l 1 -jpeg`
  drawing that page from the same file (a cold process). Printed too, once: the same when the
  document is sent just after another 1000-page one (it waits for that conversion: one worker
  converts one document at a time).

Targets (issue 16): create < 150 ms, first page < 1 s. Benchmarks never assert: exit code 0.

    .venv/bin/python benchmarks/first_page.py [--rounds 5] [--document PATH]
"""

from __future__ import annotations

import argparse
import gzip
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from convert import make_long_document  # noqa: E402

from flipshelf.domain.accounts import KeyPair  # noqa: E402
from tests.e2e.test_installed_serve import Remote  # noqa: E402
from tests.served import serving  # noqa: E402

# A real document of about 1 MB where Debian has it (valgrind-doc), else a generated one.
REAL_MB = Path("/usr/share/doc/valgrind/valgrind_manual.pdf.gz")
POLL = 0.02
WITHIN = 120.0


def one_megabyte_document(scratch: Path) -> tuple[Path, str]:
    path = scratch / "about-1mb.pdf"
    if REAL_MB.exists():
        path.write_bytes(gzip.decompress(REAL_MB.read_bytes()))
        return path, "valgrind_manual.pdf (Debian valgrind)"
    make_long_document(path, 400)
    return path, "generated text, 400 pages"


def fsync_floor(data: bytes, folder: Path) -> float:
    target = folder / "floor.bin"
    started = time.perf_counter()
    with target.open("wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    elapsed = time.perf_counter() - started
    target.unlink()
    return elapsed


def timed_create(remote: Remote, data: bytes, name: str) -> tuple[float, dict[str, Any]]:
    started = time.perf_counter()
    answer = remote.upload("collection.create", data, name=name)
    elapsed = time.perf_counter() - started
    assert answer["code"] == 20, answer
    return elapsed, answer


def settled(remote: Remote) -> None:
    """Waits until every flipbook is converted: each first-page round starts on an
    idle server, not behind the previous rounds' work."""
    deadline = time.perf_counter() + WITHIN * 10
    while time.perf_counter() < deadline:
        if all(book_done(remote, item) for item in every_item(remote)):
            return
        time.sleep(0.5)
    raise SystemExit("the server did not settle")


def every_item(remote: Remote) -> list[dict[str, Any]]:
    listed = remote.get("collection.getList", to="500")["data"]["collections"]
    return [item for collection in listed for item in collection["collectionItems"]]


def book_done(remote: Remote, item: dict[str, Any]) -> bool:
    if item["convertStatus"] != "COMPLETE":
        return bool(item["convertStatus"] == "FAILED")
    manifest = remote.http.get(files_of(remote, item["flipbookHash"]) + "/manifest.json").json()
    # The zoom pass is off by default (zoom images are drawn on demand): complete is idle.
    return bool(manifest.get("complete"))


def files_of(remote: Remote, flipbook_hash: str) -> str:
    return remote.base.removesuffix("/v1/") + f"/f/{flipbook_hash}"


def timed_call(remote: Remote) -> float:
    started = time.perf_counter()
    answer = remote.get("collection.getList")
    assert answer["code"] == 20, answer
    return time.perf_counter() - started


def first_page_seconds(remote: Remote, data: bytes) -> float:
    """From create's answer until page 1's image is served."""
    _, answer = timed_create(remote, data, "thousand.pdf")
    answered = time.perf_counter()
    collection_hash = answer["data"]["collectionHash"]
    [item] = remote.get("collection.getCollection", collectionHash=collection_hash)["data"][
        "collectionItems"
    ]
    files = files_of(remote, item["flipbookHash"])
    while time.perf_counter() - answered < WITHIN:
        image = ready_first_image(remote, files)
        if image is not None and remote.http.get(f"{files}/{image}").status_code == 200:
            return time.perf_counter() - answered
        time.sleep(POLL)
    raise SystemExit(f"first page not readable within {WITHIN:.0f} s")


def ready_first_image(remote: Remote, files: str) -> str | None:
    response = remote.http.get(f"{files}/manifest.json")
    if response.status_code != 200:
        return None
    manifest = response.json()
    if manifest.get("pagesReady", 0) < 1:
        return None
    return str(manifest["pages"][0]["images"]["normal"]["file"])


def pdftoppm_first_page(document: Path, scratch: Path) -> float:
    started = time.perf_counter()
    subprocess.run(
        ["pdftoppm", "-f", "1", "-l", "1", "-jpeg", "-scale-to", "1600", str(document),
         str(scratch / "floor")],
        check=True, capture_output=True,
    )  # fmt: skip
    return time.perf_counter() - started


def median_ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:8.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--document", type=Path, help="the ~1 MB document (default: see above)")
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as name:
        scratch = Path(name)
        small, small_name = (
            (args.document, args.document.name) if args.document else one_megabyte_document(scratch)
        )
        thousand = scratch / "thousand.pdf"
        make_long_document(thousand, 1000)
        small_data, thousand_data = small.read_bytes(), thousand.read_bytes()
        settings = {"max_pages": "2000", "rate_per_second": "1000", "rate_per_minute": "100000"}
        creates, floors, calls, firsts, pdftoppm = [], [], [], [], []
        behind = 0.0
        with serving(scratch / "data", **settings) as running:
            api_key, secret = running.key_pair()
            remote = Remote(running.wait_until_serving(), KeyPair(api_key, secret))
            with remote.http:
                # The first create after start waits for an upload checker: `serve`'s zygote
                # forks one then (a fork server's, with FLIPSHELF_WORKERS=0, is warmed at start).
                cold = timed_create(remote, small_data, small.name)[0]
                settled(remote)
                time.sleep(3)
                later = timed_create(remote, small_data, small.name)[0]
                for _ in range(args.rounds):
                    creates.append(timed_create(remote, small_data, small.name)[0])
                    floors.append(fsync_floor(small_data, scratch / "data"))
                    calls.append(timed_call(remote))
                for _ in range(args.rounds):
                    settled(remote)
                    firsts.append(first_page_seconds(remote, thousand_data))
                    if shutil.which("pdftoppm"):
                        pdftoppm.append(pdftoppm_first_page(thousand, scratch))
                # Behind another upload: a second document sent just after the first one.
                settled(remote)
                timed_create(remote, thousand_data, "ahead.pdf")
                behind = first_page_seconds(remote, thousand_data)
    size = len(small_data) / 1e6
    print(f"\ncollection.create, {small_name}, {size:.2f} MB, median of {args.rounds} (ms):")
    print(f"  flipshelf create          {median_ms(creates)}   target < 150")
    print(f"  the first, at once        {cold * 1000:8.1f}   (an upload checker forked for it)")
    print(f"  the first after 3 s idle  {later * 1000:8.1f}")
    print(f"  write + fsync same bytes  {median_ms(floors)}   ratio {ratio(creates, floors)}")
    print(f"  signed getList           {median_ms(calls)}   ratio {ratio(creates, calls)}")
    print(f"\nfirst page readable after create, 1000 pages, median of {args.rounds} (ms):")
    print(f"  flipshelf (through HTTP)  {median_ms(firsts)}   target < 1000")
    if pdftoppm:
        floor = f"{median_ms(pdftoppm)}   ratio {ratio(firsts, pdftoppm)}"
        print(f"  pdftoppm -f 1 -l 1 -jpeg  {floor}")
    else:
        print("  pdftoppm: not measured, not installed (apt-get install poppler-utils)")
    print(f"  behind another 1000 pages {behind * 1000:8.1f}   (sent just after one more upload)")
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")


def ratio(ours: list[float], baseline: list[float]) -> str:
    return f"{statistics.median(ours) / statistics.median(baseline):.2f}x"


if __name__ == "__main__":
    main()
