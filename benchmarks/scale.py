"""Scale-out throughput: conversion pages per second on the embedded default beside PostgreSQL +
S3 + Redis with one and with two `flipshelf worker` processes, measured in the same run.

The baseline is the embedded default, `flipshelf serve` as `make serve` runs it (SQLite, local
files, its own worker process). The scaled-out contenders run `flipshelf serve` with no workers
plus one or two `flipshelf worker` processes, all sharing PostgreSQL, S3 (moto) and Redis that
scripts/test-services.sh starts on 127.0.0.1 for this run and stops afterwards. Every process is
the installed command. Each contender gets the same documents (R-FAQ.pdf, 52 pages, a real
document, `--documents` copies), uploaded through the API; the clock runs from the first
upload until every book is readable (COMPLETE) and, separately, until every zoom pass is done.

    .venv/bin/python benchmarks/scale.py [--documents 6]

On one machine the workers share its cores (each worker converts with one process per core),
so a second worker mostly shows the cost of sharing, not a gain: on separate machines each
worker brings its own cores. Benchmarks never assert: the exit code is always 0.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from flipshelf.domain.accounts import KeyPair  # noqa: E402
from tests.scaled import (  # noqa: E402
    RetryingClient,
    api,
    create_account,
    finished,
    scaled_settings,
    worker,
)
from tests.served import serving  # noqa: E402

DOCUMENT = REPO / "tests" / "fixtures" / "documents" / "R-FAQ.pdf"
PAGES = 52
SERVICES = REPO / "scripts" / "test-services.sh"
WITHIN = 1800.0


@dataclass(frozen=True)
class Row:
    name: str
    pages: int
    readable_seconds: float
    zoomed_seconds: float

    @property
    def readable_rate(self) -> float:
        return self.pages / self.readable_seconds

    @property
    def zoomed_rate(self) -> float:
        return self.pages / self.zoomed_seconds


@contextmanager
def services() -> Iterator[dict[str, str]]:
    """PostgreSQL, Redis and S3 of this run only, on loopback; stopped on the way out."""
    directory = Path(tempfile.mkdtemp(prefix="flipshelf-bench-services-"))
    directory.chmod(0o755)  # PostgreSQL runs as its own user
    env = {
        **os.environ,
        "FLIPSHELF_SERVICES_DIR": str(directory),
        "FLIPSHELF_TEST_SERVICES": "postgres redis s3",
    }
    subprocess.run(["bash", str(SERVICES), "start"], env=env, check=True, timeout=900)
    try:
        values = {}
        for line in (directory / "env").read_text().splitlines():
            if line.startswith("export "):
                name, value = line.removeprefix("export ").split("=", 1)
                values[name] = value.strip("'\"")
        yield values
    finally:
        subprocess.run(["bash", str(SERVICES), "stop"], env=env, check=False, timeout=300)


def measure(name: str, client: RetryingClient, bases: list[str], documents: int) -> Row:
    """Uploads `documents` copies, alternating between `bases`; times readable and zoomed."""
    data = DOCUMENT.read_bytes()
    started = time.monotonic()
    hashes = []
    for number in range(documents):
        answer = client.create(bases[number % len(bases)], data, f"bench {number}")
        assert answer["code"] == 20, answer
        hashes.append(answer["data"]["collectionHash"])
    readable = until(lambda: all_complete(client, bases[0], hashes), started)
    zoomed = until(lambda: all(finished(client, bases[0], h) for h in hashes), started)
    print(f"  {name}: readable after {readable:.1f} s, zoomed after {zoomed:.1f} s", flush=True)
    return Row(name, documents * PAGES, readable, zoomed)


def all_complete(client: RetryingClient, base: str, hashes: list[str]) -> bool:
    listed = client.get(base, "collection.getList", limit="100")["data"]["collections"]
    states = {
        row["collectionHash"]: {item["convertStatus"] for item in row["collectionItems"]}
        for row in listed
    }
    return all(states.get(h) == {"COMPLETE"} for h in hashes)


def until(check: Callable[[], bool], started: float) -> float:
    while not check():
        if time.monotonic() - started > WITHIN:
            raise SystemExit(f"not done within {WITHIN:.0f} s")
        time.sleep(0.25)
    return time.monotonic() - started


def embedded(root: Path, documents: int) -> Row:
    with serving(root / "embedded") as server:
        api_key, secret = server.key_pair()
        base = server.wait_until_serving()
        client = RetryingClient(KeyPair(api_key, secret))
        return measure("embedded (SQLite, files, serve's worker)", client, [base], documents)


def scaled(root: Path, settings: dict[str, str], workers: int, documents: int) -> Row:
    client = RetryingClient(create_account(root / f"operator{workers}", settings))
    with ExitStack() as stack:
        apis = [stack.enter_context(api(root / f"api{workers}-{n}", settings)) for n in (1, 2)]
        for n in range(workers):
            stack.enter_context(worker(root / f"worker{workers}-{n}", settings))
        bases = [process.wait_until_serving() for process in apis]
        name = f"PostgreSQL + S3 + Redis, 2 APIs, {workers} worker(s)"
        return measure(name, client, bases, documents)


def report(rows: list[Row]) -> None:
    base = rows[0]
    print()
    columns = ("pages", "readable p/s", "ratio", "zoomed p/s", "ratio")
    widths = (6, 13, 6, 11, 6)
    print(f"{'contender':52}", *(f"{c:>{w}}" for c, w in zip(columns, widths, strict=True)))
    for row in rows:
        print(
            f"{row.name:52} {row.pages:6d} {row.readable_rate:13.1f} "
            f"{row.readable_rate / base.readable_rate:5.2f}x {row.zoomed_rate:11.1f} "
            f"{row.zoomed_rate / base.zoomed_rate:5.2f}x"
        )
    print(f"\nratios are to the first row, the embedded default ({os.cpu_count()} cores)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=6, help="copies of R-FAQ.pdf per run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="flipshelf-bench-scale-") as scratch, services() as env:
        root = Path(scratch)
        print(f"{args.documents} x {DOCUMENT.name} ({PAGES} pages) per contender", flush=True)
        rows = [embedded(root, args.documents)]
        # One installation (one server key) for both: they share the database.
        settings = scaled_settings(env)
        rows += [scaled(root, settings, workers, args.documents) for workers in (1, 2)]
        report(rows)


if __name__ == "__main__":
    main()
