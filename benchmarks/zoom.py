"""First zoom on demand against the zoom pass it replaces (issue 16), through the installed
`flipshelf serve` over HTTP, both measured in the same run on the same real document.

- the zoom pass: a `serve` with `FLIPSHELF_ZOOM_PASS=true`; the document is uploaded, and the time
  from its conversion being complete (`complete` in the manifest) to every zoom image being
  written (`zoomReady == pageCount`) is the pass's cost for the book, divided by the pages for
  its cost per page. This is the work every book paid, read or not.
- first zoom on demand: a second `serve` with the default (no pass); once the same document is
  converted, `GET /f/<book>/zoom/<page>-<width>.jpg` for a few pages, each width: cold (drawn
  now, from the stored source) and warm (the same URL again: answered from the store). This is
  what a reader waits for the first time anyone zooms a page, and every time after.

Printed: medians in ms, and each on-demand figure as a ratio of the pass's time per page (cold)
and per book. The load average before and after: a figure under load (> 1.5) says so. Benchmarks
never assert: exit code 0.

    flock /tmp/flipshelf-bench.lock .venv/bin/python benchmarks/zoom.py [--document PATH]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from flipshelf.domain.accounts import KeyPair  # noqa: E402
from flipshelf.domain.zoom import ZOOM_WIDTHS  # noqa: E402
from tests.e2e.test_installed_serve import Remote  # noqa: E402
from tests.served import serving  # noqa: E402

DOCUMENT = REPO / "tests/fixtures/documents/R-FAQ.pdf"  # a real 52-page manual (LICENSES.md)
SETTINGS = {"rate_per_second": "1000", "rate_per_minute": "100000"}
POLL = 0.05
WITHIN = 900.0


def uploaded(remote: Remote, data: bytes) -> str:
    answer = remote.upload("collection.create", data, name="document.pdf")
    assert answer["code"] == 20, answer
    items = remote.get("collection.getCollection", collectionHash=answer["data"]["collectionHash"])
    return str(items["data"]["collectionItems"][0]["flipbookHash"])


def files_of(remote: Remote, flipbook_hash: str) -> str:
    return remote.base.removesuffix("/v1/") + f"/f/{flipbook_hash}"


def manifest_when(remote: Remote, flipbook_hash: str, done: Any) -> tuple[dict[str, Any], float]:
    """The manifest once `done(manifest)`, and the moment it was seen so."""
    deadline = time.perf_counter() + WITHIN
    while time.perf_counter() < deadline:
        response = remote.http.get(files_of(remote, flipbook_hash) + "/manifest.json")
        if response.status_code == 200:
            manifest: dict[str, Any] = response.json()
            if done(manifest):
                return manifest, time.perf_counter()
        time.sleep(POLL)
    raise SystemExit("the server did not finish in time")


def zoom_pass(scratch: Path, data: bytes) -> tuple[float, int]:
    """(seconds of the zoom pass for the book, pages)."""
    with serving(scratch / "pass", zoom_pass="true", **SETTINGS) as running:
        pair = KeyPair(*running.key_pair())  # printed before serve listens: read it first
        remote = Remote(running.wait_until_serving(), pair)
        with remote.http:
            book = uploaded(remote, data)
            manifest, converted = manifest_when(remote, book, lambda m: m.get("complete"))
            pages = int(manifest["pageCount"])
            _, zoomed = manifest_when(remote, book, lambda m: m.get("zoomReady") == pages)
    return zoomed - converted, pages


def on_demand(scratch: Path, data: bytes, numbers: list[int]) -> dict[int, tuple[list, list]]:
    """Per width: (cold seconds, warm seconds) for each page of `numbers`."""
    found: dict[int, tuple[list[float], list[float]]] = {w: ([], []) for w in ZOOM_WIDTHS}
    with serving(scratch / "demand", **SETTINGS) as running:
        pair = KeyPair(*running.key_pair())  # printed before serve listens: read it first
        remote = Remote(running.wait_until_serving(), pair)
        with remote.http:
            book = uploaded(remote, data)
            manifest, _ = manifest_when(remote, book, lambda m: m.get("complete"))
            assert manifest["zoomReady"] == 0, "a zoom pass ran"
            files = files_of(remote, book)
            time.sleep(3)  # the conversion's last writes settle; the drawing process is cold
            for width in ZOOM_WIDTHS:
                cold, warm = found[width]
                for number in numbers:
                    url = f"{files}/zoom/{number}-{width}.jpg"
                    cold.append(timed_get(remote, url))
                    warm.append(timed_get(remote, url))
    return found


def timed_get(remote: Remote, url: str) -> float:
    started = time.perf_counter()
    response = remote.http.get(url)
    elapsed = time.perf_counter() - started
    assert response.status_code == 200 and response.content[:3] == b"\xff\xd8\xff", url
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--document", type=Path, default=DOCUMENT)
    args = parser.parse_args()
    data = args.document.read_bytes()
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as name:
        scratch = Path(name)
        pass_seconds, pages = zoom_pass(scratch, data)
        numbers = sorted({1, 2, pages // 2, pages - 1, pages})
        found = on_demand(scratch, data, numbers)
    per_page = pass_seconds / pages
    print(f"\n{args.document.name}, {pages} pages; on demand: pages {numbers}")
    print(f"  zoom pass, whole book    {pass_seconds * 1000:9.1f} ms   (every book, read or not)")
    print(f"  zoom pass, per page      {per_page * 1000:9.1f} ms")
    print("  first zoom on demand, median (ms)   cold / pass per page   cold / pass per book")
    for width, (cold, warm) in found.items():
        c, w = statistics.median(cold), statistics.median(warm)
        print(
            f"  {width:5d} px  cold {c * 1000:8.1f}  warm {w * 1000:6.1f}"
            f"   {c / per_page:6.2f}x   {c / pass_seconds:6.3f}x"
        )
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
