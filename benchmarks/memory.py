"""Memory of the embedded default: `flipshelf serve` as `make serve` runs it, idle and converting.

Starts the installed `flipshelf serve` with its defaults (SQLite, local files, its worker
processes) in a temporary data directory and measures the whole process tree: the sum of PSS
(/proc/<pid>/smaps_rollup; proportional set size, so a page shared by several processes counts
once in all) and, beside it, the sum of RSS (which counts shared pages once per process).

1. idle: once the tree has settled after start (no process started or ended and PSS steady
   for 2 s), the median of 20 samples, 100 ms apart;
2. converting: a real multi-page PDF (tests/fixtures/documents/R-FAQ.pdf unless --document)
   sent through `collection.create`, the tree sampled every 100 ms from the upload until the
   book is COMPLETE and the tree has gone quiet again (its follow-up jobs done); the peak.

Baselines, measured in the same run and printed as ratios:
- a bare Starlette app served by uvicorn (`python -m uvicorn` with uvloop and httptools, idle):
  what any Python ASGI server costs before it does anything;
- `pdftoppm -jpeg` converting the same document at 150 dpi (its peak PSS, sampled the same way):
  what drawing the pages costs in the leanest external tool.

    .venv/bin/python benchmarks/memory.py [--document X.pdf] [--rounds 2]

Benchmarks never assert: the exit code is always 0. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
DOCUMENT = REPO_ROOT / "tests" / "fixtures" / "documents" / "R-FAQ.pdf"
TARGET_CONVERTING_MB = 250
TARGET_IDLE_MB = 150
SAMPLE_SECONDS = 0.1
BARE_APP = (
    "from starlette.applications import Starlette\n"
    "from starlette.responses import JSONResponse\n"
    "from starlette.routing import Route\n"
    "async def bare(request):\n"
    "    return JSONResponse({'answer': 42})\n"
    "app = Starlette(routes=[Route('/', bare)])\n"
)


# --- measuring a process tree ---------------------------------------------------------------


def tree(root: int) -> list[int]:
    """`root` and all its descendants (Linux /proc children lists)."""
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        for children in Path(f"/proc/{pid}/task").glob("*/children"):
            with contextlib.suppress(OSError, ValueError):
                todo += [int(child) for child in children.read_text().split()]
    return found


def memory_kb(pid: int) -> tuple[int, int]:
    """(PSS, RSS) of one process in KiB; (0, 0) when it has just gone."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0, 0
    figures = dict(re.findall(r"^(\w+):\s+(\d+) kB", text, re.MULTILINE))
    return int(figures.get("Pss", 0)), int(figures.get("Rss", 0))


def describe(pid: int) -> str:
    """A short name for a process: what it runs, not its whole command line."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return "?"
    words = [part.decode(errors="replace") for part in argv if part]
    line = " ".join(Path(words[0]).name if i == 0 else w for i, w in enumerate(words))
    for mark in ("forkserver", "resource_tracker", "spawn_main"):
        if mark in line:
            # A fork server's children share its command line: name them by their own title.
            return f"multiprocessing {mark}" if _is_first(pid, mark) else f"{mark} child"
    return line[:60]


def _is_first(pid: int, mark: str) -> bool:
    """A process forked by a fork server has the server's command line too; the server is the
    one whose parent does not share it."""
    try:
        parent = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        return mark not in Path(f"/proc/{parent}/cmdline").read_text()
    except (OSError, ValueError, IndexError):
        return True


@dataclass
class Sample:
    pss_kb: int
    rss_kb: int
    processes: list[tuple[int, str, int, int]]  # pid, name, pss, rss

    @property
    def count(self) -> int:
        return len(self.processes)


def sample(root: int) -> Sample:
    rows = []
    for pid in tree(root):
        pss, rss = memory_kb(pid)
        if pss or rss:
            rows.append((pid, describe(pid), pss, rss))
    return Sample(sum(r[2] for r in rows), sum(r[3] for r in rows), rows)


@dataclass
class Sampler:
    """Samples a tree every SAMPLE_SECONDS in a thread; keeps the peak by PSS."""

    root: int
    peak: Sample | None = None
    samples: int = 0
    most_processes: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> Sampler:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            now = sample(self.root)
            self.samples += 1
            self.most_processes = max(self.most_processes, now.count)
            if self.peak is None or now.pss_kb > self.peak.pss_kb:
                self.peak = now
            self._stop.wait(SAMPLE_SECONDS)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()


def settle(root: int, timeout: float = 60.0) -> None:
    """Waits until the tree has kept the same processes and about the same PSS for 2 s."""
    deadline = time.monotonic() + timeout
    last, steady_since = sample(root), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.25)
        now = sample(root)
        same = {p[0] for p in now.processes} == {p[0] for p in last.processes}
        if not same or abs(now.pss_kb - last.pss_kb) > 1024:
            last, steady_since = now, time.monotonic()
        elif time.monotonic() - steady_since >= 2.0:
            return


def idle(root: int) -> Sample:
    """The median of 20 samples, 100 ms apart (by PSS)."""
    samples = []
    for _ in range(20):
        samples.append(sample(root))
        time.sleep(SAMPLE_SECONDS)
    samples.sort(key=lambda s: s.pss_kb)
    return samples[len(samples) // 2]


def cpu_ticks(root: int) -> int:
    total = 0
    for pid in tree(root):
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total


def quiet(root: int, timeout: float) -> None:
    """Waits until the tree used under 5% of a core for a whole second."""
    tick = os.sysconf("SC_CLK_TCK")
    deadline = time.monotonic() + timeout
    before = cpu_ticks(root)
    while time.monotonic() < deadline:
        time.sleep(1.0)
        now = cpu_ticks(root)
        if now - before <= 0.05 * tick:
            return
        before = now


# --- flipshelf serve -------------------------------------------------------------------------


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def clean_environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLIPSHELF_")}
    env.update(extra)
    return env


def installed_flipshelf() -> str:
    local = Path(sys.executable).parent / "flipshelf"
    found = str(local) if local.exists() else shutil.which("flipshelf")
    if found is None:
        raise RuntimeError("no installed `flipshelf` command (make dev-venv)")
    return found


class Serve:
    """`flipshelf serve` with defaults in a temporary data directory, in its own session."""

    def __init__(self, data_dir: Path, log_path: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = clean_environment(
            FLIPSHELF_DATA_DIR=str(data_dir), FLIPSHELF_HOST="127.0.0.1",
            FLIPSHELF_PORT=str(self.port),
        )  # fmt: skip
        self.log_path = log_path
        self._log = log_path.open("wb")
        self.process = subprocess.Popen(
            [installed_flipshelf(), "serve"], env=env, stdout=self._log,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip

    def wait_ready(self, timeout: float = 60.0) -> tuple[str, str]:
        """Waits for /readyz; answers the first account's (apiKey, secret) serve printed."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"serve exited: {self.log_path.read_text()[-800:]}")
            with (
                contextlib.suppress(OSError),
                urllib.request.urlopen(self.base + "/readyz", timeout=1) as answer,
            ):
                if answer.status == 200:
                    text = self.log_path.read_text()
                    key = re.search(r"apiKey: (\S+)", text)
                    secret = re.search(r"secret: (\S+)", text)
                    if key and secret:
                        return key.group(1), secret.group(1)
            time.sleep(0.1)
        raise RuntimeError("serve did not get ready")

    def call(self, params: dict[str, str], secret: str, file: Path | None = None) -> dict:
        from flipshelf.api.v1.signature import sign

        params = {**params, "signature": sign(secret, params)}
        if file is None:
            url = self.base + "/v1/?" + urllib.parse.urlencode(params)
            request = urllib.request.Request(url)
        else:
            boundary = uuid.uuid4().hex
            body = b""
            for name, value in params.items():
                body += (
                    f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                    f"{value}\r\n"
                ).encode()
            body += (
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
                f'filename="{file.name}"\r\nContent-Type: application/pdf\r\n\r\n'
            ).encode()
            body += file.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
            request = urllib.request.Request(
                self.base + "/v1/", data=body,
                headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
            )  # fmt: skip
        with urllib.request.urlopen(request, timeout=60) as answer:
            result: dict = json.loads(answer.read())
            return result

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self._log.close()


@dataclass
class Figures:
    idle: Sample
    converting: Sample
    most_processes: int
    seconds: float
    pages: int
    traceback: bool


def measure_serve(document: Path, workdir: Path) -> Figures:
    serve = Serve(workdir / "data", workdir / "serve.log")
    try:
        api_key, secret = serve.wait_ready()
        settle(serve.process.pid)
        at_rest = idle(serve.process.pid)
        started = time.monotonic()
        with Sampler(serve.process.pid) as sampler:
            created = serve.call(
                {"action": "collection.create", "apiKey": api_key, "title": "memory"},
                secret, document,
            )  # fmt: skip
            if created.get("code") != 20:
                raise RuntimeError(f"collection.create answered {created}")
            wanted = {
                "action": "collection.getCollection", "apiKey": api_key,
                "collectionHash": created["data"]["collectionHash"],
            }  # fmt: skip
            deadline = time.monotonic() + 300
            item: dict = {}
            while time.monotonic() < deadline:
                item = serve.call(wanted, secret)["data"]["collectionItems"][0]
                if item["convertStatus"] in ("COMPLETE", "FAILED"):
                    break
                time.sleep(0.25)
            if item.get("convertStatus") != "COMPLETE":
                raise RuntimeError(f"the conversion did not complete: {item}")
            seconds = time.monotonic() - started
            quiet(serve.process.pid, 120)  # the jobs that follow a conversion (zoom)
        assert sampler.peak is not None
        return Figures(
            at_rest, sampler.peak, sampler.most_processes, seconds, int(item["pageCount"]),
            "Traceback" in serve.log_path.read_text(errors="replace"),
        )  # fmt: skip
    finally:
        serve.stop()


# --- baselines ------------------------------------------------------------------------------


def measure_bare_uvicorn(workdir: Path) -> Sample:
    (workdir / "bare_app.py").write_text(BARE_APP)
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "bare_app:app", "--app-dir", str(workdir),
         "--port", str(port), "--loop", "uvloop", "--http", "httptools", "--log-level", "warning"],
        env=clean_environment(), start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with (
                contextlib.suppress(OSError),
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1),
            ):
                break
            time.sleep(0.1)
        settle(process.pid)
        return idle(process.pid)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)


def measure_pdftoppm(document: Path, workdir: Path) -> Sample | None:
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        return None
    out = workdir / "pdftoppm"
    out.mkdir()
    process = subprocess.Popen([pdftoppm, "-jpeg", "-r", "150", str(document), str(out / "p")])
    with Sampler(process.pid) as sampler:
        process.wait()
    return sampler.peak


# --- report ---------------------------------------------------------------------------------


def mb(kb: int) -> str:
    return f"{kb / 1024:6.0f} MB"


def print_tree(title: str, shown: Sample) -> None:
    print(f"  {title}: {shown.count} processes")
    for pid, name, pss, rss in sorted(shown.processes, key=lambda r: -r[2]):
        print(f"    {pid:>7}  PSS {mb(pss)}  RSS {mb(rss)}  {name}")


def report(figures: Figures, bare: Sample, pdftoppm: Sample | None, load: float) -> None:
    print(f"\nflipshelf serve (defaults), {figures.pages}-page document converted in "
          f"{figures.seconds:.1f} s (load average before: {load:.2f})")  # fmt: skip
    print_tree("idle", figures.idle)
    print_tree("converting, at the peak", figures.converting)
    print()
    print(f"{'':34} {'PSS':>9} {'RSS':>9}  processes")
    rows = [
        ("flipshelf serve, idle", figures.idle),
        ("flipshelf serve, converting (peak)", figures.converting),
        ("bare Starlette on uvicorn, idle", bare),
    ]
    if pdftoppm is not None:
        rows.append(("pdftoppm -jpeg, converting (peak)", pdftoppm))
    for name, shown in rows:
        print(f"{name:34} {mb(shown.pss_kb)} {mb(shown.rss_kb)}  {shown.count}")
    if pdftoppm is None:
        print("pdftoppm -jpeg: not measured, not installed (apt-get install poppler-utils)")
    print()
    idle_mb, busy_mb = figures.idle.pss_kb / 1024, figures.converting.pss_kb / 1024
    idle_verdict = "meets" if idle_mb <= TARGET_IDLE_MB else "MISSES"
    print(f"idle: {idle_mb:.0f} MB PSS = {figures.idle.pss_kb / bare.pss_kb:.1f}x bare uvicorn; "
          f"target <= {TARGET_IDLE_MB} MB: {idle_verdict}")  # fmt: skip
    line = f"converting: {busy_mb:.0f} MB PSS = {figures.converting.pss_kb / bare.pss_kb:.1f}x bare"
    if pdftoppm is not None:
        line += f", {figures.converting.pss_kb / pdftoppm.pss_kb:.1f}x pdftoppm"
    verdict = "meets" if busy_mb <= TARGET_CONVERTING_MB else "MISSES"
    print(f"{line}; target <= {TARGET_CONVERTING_MB} MB: {verdict}")
    print(f"most processes at once while converting: {figures.most_processes}")
    if figures.traceback:
        print("note: the server's log has a Traceback")
    if load > 1.5:
        print(f"note: measured under load (load average {load:.2f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--document", type=Path, default=DOCUMENT)
    parser.add_argument("--rounds", type=int, default=1, help="serve measured this many times")
    parser.add_argument("--keep-log", type=Path, default=None, help="copy serve's log here")
    args = parser.parse_args()
    sys.path.insert(0, str(REPO_ROOT / "src"))
    for round_number in range(args.rounds):
        load = os.getloadavg()[0]
        with tempfile.TemporaryDirectory(prefix="flipshelf-memory-") as scratch:
            workdir = Path(scratch)
            figures = measure_serve(args.document, workdir)
            if args.keep_log:
                shutil.copy(workdir / "serve.log", args.keep_log)
            bare = measure_bare_uvicorn(workdir)
            pdftoppm = measure_pdftoppm(args.document, workdir)
        print(f"\n=== round {round_number + 1} of {args.rounds}")
        report(figures, bare, pdftoppm, load)


if __name__ == "__main__":
    try:
        main()
    except Exception:
        traceback.print_exc()
    sys.exit(0)
