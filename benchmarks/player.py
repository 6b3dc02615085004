"""The player in headless Chromium: time to the first page painted and browser memory, for a
20-page and a 1000-page flipbook, beside a plain page showing one page image (the floor).

    .venv/bin/python benchmarks/player.py [--rounds 3]

Converts both books with the real server and workers (tests/browser/library.py), then for each
target and round launches a fresh Chromium (Debian's, /usr/bin/chromium) and measures:

- first page: from navigation start to the first page image painted. The player marks
  `flipshelf:first-page` in the frame after its first page image loaded; the floor page marks
  the same moment for its one <img>. Also the browser's Largest Contentful Paint.
- JS heap (CDP Performance.getMetrics JSHeapUsedSize) and DOM nodes, once painted and settled.
- browser memory: the proportional set size (PSS) of all Chromium processes, from /proc.
- idle CPU: milliseconds of main-thread work per second while nobody touches the page (the
  player's page-turn engine redraws every animation frame).

With `--phone`: the same first-page measure in a phone-sized slot (390 x 844 at 3x, touch) over
a throttled network (Chrome DevTools' "Fast 3G": 563 ms round trips, 180 KB/s down), where the
player's scripts, styles, manifest and page image must all cross a slow link; printed beside
the one-image floor page on the same link, with the ratio.

Prints medians; always exits 0.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.browser.library import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    OtherOrigin,
    start_library,
    stop_library,
)
from tests.e2e.conftest import E2E_SETTINGS, Workers  # noqa: E402
from tests.fixtures.documents.generate import many_pages_pdf  # noqa: E402

MARK = "window.__mark || 'flipshelf:first-page'"
PAINTED = f"() => performance.getEntriesByName({MARK}).length > 0"
MEASURE = """() => {
  const mark = performance.getEntriesByName(MARK_NAME)[0];
  return new Promise((resolve) => {
    new PerformanceObserver((list) => {
      const entries = list.getEntries();
      resolve({first: mark.startTime, lcp: entries[entries.length - 1].startTime});
    }).observe({type: 'largest-contentful-paint', buffered: true});
    setTimeout(() => resolve({first: mark.startTime, lcp: NaN}), 2000);
  });
}""".replace("MARK_NAME", MARK)


@dataclass
class Sample:
    first_ms: float
    lcp_ms: float
    heap_mb: float
    nodes: float
    pss_mb: float
    idle_cpu_ms: float


def descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        for child in children.get(pid, []):
            found.append(child)
            todo.append(child)
    return found


def chromium_pss_mb() -> float:
    total = 0
    for pid in descendants(os.getpid()):
        try:
            if b"chrom" not in Path(f"/proc/{pid}/cmdline").read_bytes():
                continue
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def metrics(cdp: Any) -> dict[str, float]:
    return {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}


# Chrome DevTools' "Fast 3G" preset.
FAST_3G = {
    "offline": False,
    "latency": 562.5,
    "downloadThroughput": 180 * 1024,
    "uploadThroughput": 84 * 1024,
}
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
}
DESKTOP = {"viewport": {"width": 1200, "height": 800}}


def measure(playwright: Any, url: str, floor: bool, phone: bool = False) -> Sample:
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    try:
        page = browser.new_context(**(PHONE if phone else DESKTOP)).new_page()
        cdp = page.context.new_cdp_session(page)
        cdp.send("Performance.enable")
        if phone:
            cdp.send("Network.enable")
            cdp.send("Network.emulateNetworkConditions", FAST_3G)
        page.goto(url)
        if floor:
            page.evaluate("() => { window.__mark = 'floor:first-page'; }")
        page.wait_for_function(PAINTED, timeout=60_000)
        timing = page.evaluate(MEASURE)
        if floor:
            FLOOR_TIMING.add(page.evaluate("window.__floorTiming"))
        time.sleep(1.0)  # let the page settle before reading memory
        before = metrics(cdp)
        time.sleep(2.0)
        after = metrics(cdp)
        idle = (after["TaskDuration"] - before["TaskDuration"]) * 1000 / 2.0
        return Sample(
            first_ms=timing["first"],
            lcp_ms=timing["lcp"],
            heap_mb=after["JSHeapUsedSize"] / 2**20,
            nodes=after["Nodes"],
            pss_mb=chromium_pss_mb(),
            idle_cpu_ms=idle,
        )
    finally:
        browser.close()


# The floor marks its image's paint the way the player marks its plain first page (player.js
# `watchFirstImage`): the Element Timing entry's render time (its load time where the browser
# withholds the render time of a cross-origin image).
FLOOR_SCRIPT = """
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    window.__floorTiming = entry.renderTime ? 'render' : 'load';
    performance.mark('floor:first-page', {startTime: entry.renderTime || entry.loadTime});
  }
}).observe({type: 'element', buffered: true});
"""


FLOOR_TIMING: set[str] = set()  # how the floor's paint was timed: "render" or "load"


def floor_page(image_url: str, style: str = "height:680px") -> str:
    # The floor: nothing but the same page image, marked when painted like the player's.
    return (
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<img id="p" alt="" elementtiming="floor" style="{style}" src="' + image_url + '">'
        f"<script>{FLOOR_SCRIPT}</script>"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--phone", action="store_true", help="a phone slot on a slow network")
    args = parser.parse_args()
    if not CHROMIUM.exists():
        print(f"{CHROMIUM} is missing: run scripts/install-browser.sh")
        return 0
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="flipshelf-bench-player-") as tmp:
        work = Path(tmp)
        library = start_library(work, E2E_SETTINGS)
        workers = Workers(library.runtime.settings, work)
        workers.start()
        static = OtherOrigin("127.0.0.1")
        try:
            targets: list[tuple[str, str, bool]] = []
            print("converting a 20-page and a 1000-page PDF...", flush=True)
            made = {}
            for pages in (20, 1000):
                many_pages_pdf(work / f"{pages}.pdf", pages)
                data = (work / f"{pages}.pdf").read_bytes()
                made[pages] = library.api.upload("collection.create", data, f"{pages}.pdf")
            for pages, created in made.items():
                done = library.api.wait(created["collectionHash"])
                book = done["collectionItems"][0]["flipbookHash"]
                targets.append(
                    (f"player, {pages} pages", library.widget(created["collectionHash"]), False)
                )
                if pages == 20:
                    image = f"{library.url}/f/{book}/pages/0001-normal.jpg"
                    targets.insert(0, ("floor: one <img>", static.page("/floor.html", ""), True))
                    static.pages["/floor.html"] = floor_page(
                        image, "width:100%" if args.phone else "height:680px"
                    )
            if args.phone:
                targets = [t for t in targets if "1000" not in t[0]]
            results: dict[str, list[Sample]] = {name: [] for name, _u, _f in targets}
            with sync_playwright() as playwright:
                for round_ in range(args.rounds):
                    # Each round starts with the next target, so none always follows another: in
                    # a fixed order the 20-page book (always right after the floor) measured
                    # 20-30 ms slower than the 1000-page one; in turns the two are level.
                    turn = round_ % len(targets)
                    for name, url, floor in targets[turn:] + targets[:turn]:
                        results[name].append(measure(playwright, url, floor, args.phone))
            if args.phone:
                print_phone(results, args.rounds)
            else:
                print_table(results, args.rounds)
            print(f"floor timed by its Element Timing {' and '.join(sorted(FLOOR_TIMING))} time")
            print(f"load average: {os.getloadavg()[0]:.2f}")
        finally:
            static.close()
            workers.stop_all()
            stop_library(library)
    return 0


def print_phone(results: dict[str, list[Sample]], rounds: int) -> None:
    firsts = {
        name: statistics.median(s.first_ms for s in samples) for name, samples in results.items()
    }
    floor = firsts["floor: one <img>"]
    print(f"\nmedians of {rounds} rounds, a fresh Chromium each: 390x844 at 3x, Fast 3G")
    print(f"{'target':<22}{'first page ms':>14}{'x floor':>9}")
    for name, first in firsts.items():
        print(f"{name:<22}{first:>14.0f}{first / floor:>9.2f}")


def print_table(results: dict[str, list[Sample]], rounds: int) -> None:
    def median(samples: list[Sample], field: str) -> float:
        return statistics.median(getattr(s, field) for s in samples)

    header = (
        f"{'target':<22}{'first page ms':>14}{'LCP ms':>9}{'JS heap MB':>12}"
        f"{'DOM nodes':>11}{'browser PSS MB':>16}{'idle CPU ms/s':>15}"
    )
    print(f"\nmedians of {rounds} rounds, a fresh Chromium each (1200x800)")
    print(header)
    print("-" * len(header))
    for name, samples in results.items():
        print(
            f"{name:<22}{median(samples, 'first_ms'):>14.0f}{median(samples, 'lcp_ms'):>9.0f}"
            f"{median(samples, 'heap_mb'):>12.1f}{median(samples, 'nodes'):>11.0f}"
            f"{median(samples, 'pss_mb'):>16.0f}{median(samples, 'idle_cpu_ms'):>15.1f}"
        )


if __name__ == "__main__":
    sys.exit(main())
