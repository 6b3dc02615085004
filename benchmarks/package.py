"""Building the offline package of a 500-page collection, beside `zip -0 -r` of the same files.

flipshelf's build (claim, read every manifest, write the zip to a temp file with images stored
and text deflated, fsync, store it create-only, mark COMPLETE) runs in this process, exactly as a
worker runs it (jobs/package.py). The floor is Info-ZIP's `zip -0 -r` of the flipbooks' stored
files (the same images and text) in the same run. Page files are synthetic JPEGs about the size
of real ones (tests/books.py), written straight into a local store. Peak memory growth is this
process's VmHWM during the build minus its VmRSS before it (Linux /proc; the peak is reset first).

Run: .venv/bin/python benchmarks/package.py [--pages 500] [--books 5] [--rounds 3] [--zoom].
Prints a table; exits 0 (benchmarks never assert).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR.parent))

for _name in [name for name in os.environ if name.startswith("FLIPSHELF_")]:
    del os.environ[_name]  # only this benchmark's settings count
os.environ["FLIPSHELF_LOG_LEVEL"] = "warning"

from flipshelf.app import package_context  # noqa: E402
from flipshelf.db.migrate import upgrade  # noqa: E402
from flipshelf.db.packages import SqlPackages  # noqa: E402
from flipshelf.domain.collections import ConvertStatus  # noqa: E402
from flipshelf.jobs.package_job import run_package_build  # noqa: E402
from flipshelf.logging import configure  # noqa: E402
from flipshelf.runtime import build_runtime  # noqa: E402
from flipshelf.settings import Settings  # noqa: E402
from tests.books import write_book  # noqa: E402
from tests.support import RecordingQueue, new_tenant, seed_collection  # noqa: E402


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _reset_peak() -> None:
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS


def _mib(kib: float) -> str:
    return f"{kib / 1024:.1f} MiB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=500, help="pages in the collection")
    parser.add_argument("--books", type=int, default=5, help="flipbooks sharing the pages")
    parser.add_argument("--rounds", type=int, default=3, help="builds of each kind (median)")
    parser.add_argument("--zoom", action="store_true", help="also zoom-size page images")
    args = parser.parse_args()
    if not shutil.which("zip"):
        print("`zip` is missing (apt-get install zip): the floor cannot be measured")
    configure("console", "warning")
    with tempfile.TemporaryDirectory(prefix="flipshelf-bench-package-") as scratch:
        run(Path(scratch), args)


def run(scratch: Path, args: argparse.Namespace) -> None:
    settings = Settings(data_dir=scratch / "data", public_url="http://bench.test")
    settings.data_dir.mkdir(parents=True)
    upgrade(settings.resolved_database_url())
    runtime = build_runtime(settings, queue=RecordingQueue())
    tenant = new_tenant(runtime)
    per_book = [args.pages // args.books + (n < args.pages % args.books) for n in range(args.books)]
    collection = seed_collection(
        runtime, tenant, title="Benchmark catalogue", items=(ConvertStatus.COMPLETE,) * args.books
    )
    sizes = ("thumb", "normal", "zoom") if args.zoom else ("thumb", "normal")
    started = time.perf_counter()
    for item, pages in zip(collection.items, per_book, strict=True):
        write_book(runtime.ports.files, item.hash, pages, sizes=sizes, realistic=True)
    runtime.ports.collections.update(collection.id, _pages_changed(), runtime.ports.clock.now())
    collection = runtime.ports.collections.get(collection.hash)  # type: ignore[assignment]
    made = time.perf_counter() - started
    print(f"made {args.pages} pages in {args.books} flipbooks in {made:.1f} s")
    files_root = runtime.ports.files.local_path("flipbooks")
    assert files_root is not None
    source_bytes = sum(p.stat().st_size for p in files_root.rglob("*") if p.is_file())
    print(f"stored page files: {source_bytes / 2**20:.1f} MiB\n")

    context = package_context(runtime)
    packages = SqlPackages(runtime.db, settings.job_attempts)
    ours: list[float] = []
    floor: list[float] = []
    growth: list[int] = []
    size = 0
    for round_number in range(args.rounds):
        target = scratch / f"floor-{round_number}.zip"
        began = time.perf_counter()
        subprocess.run(
            ["zip", "-0", "-r", "-q", str(target), "flipbooks"],
            cwd=files_root.parent,
            check=True,
        )
        floor.append(time.perf_counter() - began)
        floor_size = target.stat().st_size
        target.unlink()

        # A new version each round, so each build is a fresh one (no reuse).
        now = runtime.ports.clock.now()
        package, _ = packages.ensure(collection.id, 1_000 + round_number, now)
        _as_current(runtime, collection.id, 1_000 + round_number)
        before = _status_kb("VmRSS")
        _reset_peak()
        began = time.perf_counter()
        assert run_package_build(replace(context), package.id)
        ours.append(time.perf_counter() - began)
        growth.append(_status_kb("VmHWM") - before)
        built = packages.get(package.id)
        assert built is not None and built.size is not None
        size = built.size

    ours_s, floor_s = statistics.median(ours), statistics.median(floor)
    print(f"{'':34} {'median':>9} {'runs':>28}")
    print(f"{'flipshelf package build':34} {ours_s:8.2f}s {_runs(ours):>28}")
    print(f"{'zip -0 -r (floor)':34} {floor_s:8.2f}s {_runs(floor):>28}")
    print(f"\nratio: {ours_s / floor_s:.2f}x the floor (target: within 1.5x)")
    print(f"package: {size / 2**20:.1f} MiB; floor zip: {floor_size / 2**20:.1f} MiB")
    print(
        f"builder peak memory growth: {_mib(max(growth))} (per round: "
        f"{', '.join(_mib(g) for g in growth)})"
    )
    runtime.db.dispose()


def _runs(values: list[float]) -> str:
    return " ".join(f"{value:.2f}" for value in values)


def _pages_changed():  # type: ignore[no-untyped-def]
    from flipshelf.domain.collections import CollectionChanges

    return CollectionChanges(description="benchmark")


def _as_current(runtime, collection_id: int, version: int) -> None:  # type: ignore[no-untyped-def]
    """Sets the collection's version (a build refuses a version the collection moved past)."""
    from sqlalchemy import update

    from flipshelf.db.schema import collections

    with runtime.db.write() as conn:
        conn.execute(
            update(collections).where(collections.c.id == collection_id).values(version=version)
        )


if __name__ == "__main__":
    main()
