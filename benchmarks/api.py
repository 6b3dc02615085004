"""API throughput: a signed collection.getCollection beside a bare Starlette JSON endpoint.

Both targets are served by the same server process with the same configuration (the bare route
is added to the app that flipshelf.app builds), and are measured in the same run, so the ratio
ours/bare says what flipshelf's own work per call costs on this machine. Goal: ratio >= 0.5.

    .venv/bin/python benchmarks/api.py                 # uvicorn, and granian when installed
    .venv/bin/python benchmarks/api.py --duration 20 --connections 32 --profile /tmp/prof

The load generator runs in other processes: `wrk` when it is on PATH (Debian: apt-get install
wrk), else a keep-alive raw-socket asyncio client in its own processes. Only 127.0.0.1 is ever
a target; every load is bounded in time. Benchmarks never assert: the exit code is always 0.
See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import concurrent.futures
import contextlib
import dataclasses
import json
import multiprocessing
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
import traceback
import urllib.request
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _servers
from _servers import BARE_PATH, Server

GOAL = 0.5
P99_GOAL_MS = 20


@dataclass(frozen=True)
class Result:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int
    server_cpu: float = 0.0  # CPU seconds the server process(es) used during the run
    client_cpu: float = float("nan")  # CPU seconds of the load generator (wrk only)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def cpu_us_per_request(self) -> float:
        return 1e6 * self.server_cpu / self.requests if self.requests else float("nan")

    @property
    def cpu_percent(self) -> float:
        return 100 * self.server_cpu / self.seconds if self.seconds else float("nan")


# --- load generators ----------------------------------------------------------------------

# The requests are formatted once per thread (init), so the per-request Lua work is one table
# lookup, the same for both targets whatever the pool size.
WRK_SCRIPT = """
local paths = {%(paths)s}
local prepared = {}
local i = 0
init = function(args)
  for n, path in ipairs(paths) do prepared[n] = wrk.format("GET", path) end
end
request = function()
  i = i %% #prepared + 1
  return prepared[i]
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH_JSON {\\"requests\\":%%d,\\"duration_us\\":%%d,\\"errors\\":%%d,"
    .. "\\"non2xx\\":%%d,\\"p50_us\\":%%f,\\"p99_us\\":%%f}\\n",
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout,
    e.status, latency:percentile(50), latency:percentile(99)))
end
"""


class WrkLoad:
    """wrk: C, one thread (the other core belongs to the server), a Lua pool of paths."""

    name = "wrk"

    def __init__(self, wrk: str, workdir: Path) -> None:
        self.wrk, self.workdir = wrk, workdir

    def run(self, base: str, paths: list[str], seconds: float, connections: int) -> Result:
        script = self.workdir / f"pool-{abs(hash(tuple(paths)))}.lua"
        quoted = ", ".join(json.dumps(path) for path in paths)
        script.write_text(WRK_SCRIPT % {"paths": quoted})
        command = [
            self.wrk, "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s",
            "--timeout", "5s", "-s", str(script), base + paths[0],
        ]  # fmt: skip
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 30)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        client_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        for line in done.stdout.splitlines():
            if line.startswith("BENCH_JSON "):
                figures = json.loads(line.removeprefix("BENCH_JSON "))
                return Result(
                    requests=figures["requests"],
                    seconds=figures["duration_us"] / 1e6,
                    p50_ms=figures["p50_us"] / 1000,
                    p99_ms=figures["p99_us"] / 1000,
                    errors=figures["errors"] + figures["non2xx"],
                    client_cpu=client_cpu,
                )
        raise RuntimeError(f"wrk printed no result: {done.stdout[-500:]} {done.stderr[-500:]}")


def _client_process(
    port: int, paths: list[str], seconds: float, connections: int
) -> tuple[int, int, list[int], float]:
    """One load process: `connections` keep-alive connections, one request in flight on each."""
    with contextlib.suppress(ImportError):
        import uvloop

        uvloop.install()
    return asyncio.run(_client(port, paths, seconds, connections))


async def _client(
    port: int, paths: list[str], seconds: float, connections: int
) -> tuple[int, int, list[int], float]:
    head = f"HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUser-Agent: flipshelf-bench\r\n\r\n"
    requests = [f"GET {path} {head}".encode() for path in paths]
    latencies: list[int] = []
    errors = 0
    started_at = time.perf_counter()
    deadline = started_at + seconds

    async def one_connection(offset: int) -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        turn = offset
        try:
            while time.perf_counter() < deadline:
                request = requests[turn % len(requests)]
                turn += 1
                started = time.perf_counter_ns()
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                status_line, _, header_block = head.partition(b"\r\n")
                length, chunked = 0, False
                for line in header_block.split(b"\r\n"):
                    name, _, value = line.partition(b":")
                    name = name.strip().lower()
                    if name == b"content-length":
                        length = int(value)
                    elif name == b"transfer-encoding" and b"chunked" in value.lower():
                        chunked = True
                if chunked:
                    while True:
                        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
                        await reader.readexactly(size + 2)
                        if size == 0:
                            break
                else:
                    await reader.readexactly(length)
                latencies.append(time.perf_counter_ns() - started)
                if status_line.split(b" ", 2)[1] != b"200":
                    errors += 1
        except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
            errors += 1
        finally:
            writer.close()

    await asyncio.gather(*(one_connection(i) for i in range(connections)))
    return len(latencies), errors, latencies, time.perf_counter() - started_at


class PythonLoad:
    """Fallback when wrk is missing: asyncio raw-socket clients in their own processes. Slower
    than wrk: it can saturate before a fast server does, which flatters the ratio."""

    name = "python"

    def __init__(self, processes: int) -> None:
        self.processes = processes
        self.pool = concurrent.futures.ProcessPoolExecutor(
            processes, mp_context=multiprocessing.get_context("spawn")
        )

    def run(self, base: str, paths: list[str], seconds: float, connections: int) -> Result:
        port = int(base.rsplit(":", 1)[1])
        shares = [connections // self.processes + (i < connections % self.processes)
                  for i in range(self.processes)]  # fmt: skip
        futures = [
            self.pool.submit(_client_process, port, paths[i:] + paths[:i], seconds, share)
            for i, share in enumerate(shares)
            if share
        ]
        outcomes = [future.result(timeout=seconds + 60) for future in futures]
        latencies = sorted(value for _, _, values, _ in outcomes for value in values)
        return Result(
            requests=sum(count for count, _, _, _ in outcomes),
            seconds=max(elapsed for _, _, _, elapsed in outcomes),
            p50_ms=_percentile(latencies, 50) / 1e6,
            p99_ms=_percentile(latencies, 99) / 1e6,
            errors=sum(errors for _, errors, _, _ in outcomes),
        )

    def close(self) -> None:
        self.pool.shutdown()


def _percentile(ordered: list[int], percent: float) -> float:
    if not ordered:
        return float("nan")
    return float(ordered[min(len(ordered) - 1, int(len(ordered) * percent / 100))])


def choose_load(kind: str, processes: int, workdir: Path) -> WrkLoad | PythonLoad:
    wrk = shutil.which("wrk")
    if kind == "wrk" and wrk is None:
        print("wrk not found on PATH; falling back to the Python client", file=sys.stderr)
    if kind in ("auto", "wrk") and wrk is not None:
        return WrkLoad(wrk, workdir)
    return PythonLoad(processes)


# --- one server -----------------------------------------------------------------------------


def check_answers(base: str, ours: list[str]) -> str:
    """Both targets must answer what they should, or the figures mean nothing."""
    with urllib.request.urlopen(base + BARE_PATH, timeout=5) as answer:
        json.loads(answer.read())
    with urllib.request.urlopen(base + ours[0], timeout=5) as answer:
        body = json.loads(answer.read())
    if body.get("code") != 20:
        raise RuntimeError(f"getCollection did not answer OK: {body}")
    return body["data"].get("hash") or "?"


def profile(server: Server, load: WrkLoad | PythonLoad, args: argparse.Namespace,
            paths: list[str]) -> None:  # fmt: skip
    """A separate load pass with py-spy attached (sampling slows the server, so its figures are
    not reported): a flame graph and a text summary of where ours spends its time. Only samples
    of the thread holding the GIL are kept (--gil): the server is GIL-bound, so that is where
    its CPU goes; time spent waiting for the GIL is contention, not work."""
    py_spy = _servers.venv_tool("py-spy")
    if py_spy is None:
        print("  profile: py-spy not installed (.venv/bin/pip install py-spy)")
        return
    args.profile.mkdir(parents=True, exist_ok=True)
    seconds = max(2, round(args.duration))
    outputs = {}
    for fmt in ("flamegraph", "raw"):
        suffix = "svg" if fmt == "flamegraph" else "txt"
        out = args.profile / f"{server.kind}-getCollection.{suffix}"
        spy = subprocess.Popen(
            [py_spy, "record", "--pid", str(server.process.pid), "--subprocesses", "--threads",
             "--gil", "--nonblocking", "--rate", "250", "--duration", str(seconds),
             "--format", fmt, "--output", str(out)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        time.sleep(0.5)
        load.run(server.base, paths, seconds, args.connections)
        _, err = spy.communicate(timeout=seconds + 60)
        if spy.returncode != 0:
            print(f"  profile: py-spy failed: {err.decode(errors='replace')[-300:]}")
            return
        outputs[fmt] = out
    print(f"  profile: {outputs['flamegraph']}  {outputs['raw']}")
    print(textwrap.indent(summarize_stacks(outputs["raw"]), "    "))


def summarize_stacks(raw: Path, top: int = 15) -> str:
    """Self and inclusive sample shares per function from py-spy's collapsed stacks (idle waits
    are dropped; with --gil there are hardly any)."""
    own: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    total = 0
    idle = ("select (selectors.py", "_worker (concurrent/futures/thread.py", "wait (threading.py",
            "run_forever", "_run_once")  # fmt: skip
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        frames = stack.split(";")
        leaf = frames[-1]
        if any(mark in leaf for mark in idle) or "(threading.py" in leaf:
            continue
        count = int(count_text)
        total += count
        own[leaf] += count
        for frame in set(frames):
            inclusive[frame] += count
    if not total:
        return "(no busy samples)"
    lines = [f"busy samples: {total}", "top self time:"]
    lines += [f"  {100 * n / total:5.1f}%  {name}" for name, n in own.most_common(top)]
    lines.append("top inclusive (flipshelf, sqlalchemy, limits, starlette, anyio):")
    wanted = ("flipshelf", "sqlalchemy", "limits/", "starlette", "anyio", "cryptography")
    chosen = [(n, c) for n, c in inclusive.most_common() if any(w in n for w in wanted)][:top]
    lines += [f"  {100 * c / total:5.1f}%  {n}" for n, c in chosen]
    return "\n".join(lines)


def bench_server(kind: str, env: dict[str, str], load: WrkLoad | PythonLoad, paths: list[str],
                 args: argparse.Namespace, workdir: Path) -> dict[str, Result]:  # fmt: skip
    results: dict[str, Result] = {}
    with Server(kind, env, workdir / f"{kind}.log") as server:
        server.wait_ready()
        check_answers(server.base, paths)
        targets = {"bare": [BARE_PATH], "getCollection": paths}
        for _round in range(args.rounds):
            for target, target_paths in targets.items():
                load.run(server.base, target_paths, args.warmup, args.connections)
                cpu_before = server.cpu_seconds()
                result = load.run(server.base, target_paths, args.duration, args.connections)
                result = dataclasses.replace(result, server_cpu=server.cpu_seconds() - cpu_before)
                results[target] = _merge(results.get(target), result)
        check_answers(server.base, paths)  # still OK after the load (no rate limit, no error)
        if args.profile:
            profile(server, load, args, paths)
    return results


def _merge(before: Result | None, new: Result) -> Result:
    """Rounds add up; latency percentiles are kept from the worse round (conservative)."""
    if before is None:
        return new
    return Result(
        requests=before.requests + new.requests,
        seconds=before.seconds + new.seconds,
        p50_ms=max(before.p50_ms, new.p50_ms),
        p99_ms=max(before.p99_ms, new.p99_ms),
        errors=before.errors + new.errors,
        server_cpu=before.server_cpu + new.server_cpu,
        client_cpu=before.client_cpu + new.client_cpu,
    )


# --- report ---------------------------------------------------------------------------------


def print_table(rows: list[tuple[str, str, Result | None, str]]) -> None:
    header = (
        f"{'server':<8} {'target':<25} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'errors':>6} "
        f"{'srv CPU':>7} {'CPU us/req':>10}  ours/bare"
    )
    print(header)
    print("-" * len(header))
    for server, target, result, ratio in rows:
        if result is None:
            print(f"{server:<8} {target:<25} {ratio}")
            continue
        print(
            f"{server:<8} {target:<25} {result.rate:>7.0f} {result.p50_ms:>7.2f} "
            f"{result.p99_ms:>7.2f} {result.errors:>6} {result.cpu_percent:>6.0f}% "
            f"{result.cpu_us_per_request:>10.0f}  {ratio}"
        )


def notes(pairs: dict[str, tuple[Result, Result]], load_before: float) -> list[str]:
    """What makes a figure less than it seems: a busy machine, a saturated client."""
    found = []
    cores = os.cpu_count() or 1
    if load_before > 0.5:
        found.append(
            f"load average was {load_before:.1f} on {cores} cores before the run: other work "
            "competes for the CPU, so req/s is noisy; CPU per request is the steadier figure"
        )
    for kind_name, (bare, _ours) in pairs.items():
        if bare.client_cpu / bare.seconds > 0.85:
            found.append(
                f"{kind_name}: wrk used {100 * bare.client_cpu / bare.seconds:.0f}% of its core "
                "on the bare target, so bare req/s is a floor and the ratio an upper bound"
            )
        elif bare.cpu_percent < 80:
            found.append(
                f"{kind_name}: the server used only {bare.cpu_percent:.0f}% CPU on the bare "
                "target: it was starved of CPU (machine busy) or the client limited it"
            )
    return found


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10, help="seconds measured per target")
    parser.add_argument("--warmup", type=float, default=2, help="seconds of warm-up per target")
    parser.add_argument("--rounds", type=int, default=1, help="bare/ours alternations per server")
    parser.add_argument("--connections", type=int, default=50, help="keep-alive connections")
    parser.add_argument("--accounts", type=int, default=5, help="accounts seeded")
    parser.add_argument("--collections", type=int, default=200,
                        help="collections seeded, spread over the accounts")  # fmt: skip
    parser.add_argument("--servers", default="uvicorn,granian", help="comma-separated")
    parser.add_argument("--client", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--client-processes", type=int, default=1,
                        help="processes of the Python fallback client")  # fmt: skip
    parser.add_argument("--pool", type=int, default=200,
                        help="signed URLs in the pool (at least one per collection)")  # fmt: skip
    parser.add_argument("--profile", type=Path, default=None,
                        help="after measuring, profile the server under load with py-spy and "
                        "write a flame graph and collapsed stacks to this directory")  # fmt: skip
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    load_before = os.getloadavg()[0]
    wanted = [name.strip() for name in args.servers.split(",") if name.strip()]
    with tempfile.TemporaryDirectory(prefix="flipshelf-bench-") as tmp:
        workdir = Path(tmp)
        env = _servers.use_bench_environment(workdir / "data")
        paths = _servers.seed(workdir / "data", args.pool, args.accounts, args.collections)
        load = choose_load(args.client, args.client_processes, workdir)
        print(
            f"flipshelf API benchmark: client={load.name}, connections={args.connections}, "
            f"{args.warmup:g} s warm-up + {args.duration:g} s x {args.rounds} per target, "
            f"1 worker, SQLite, {len(paths)} signed URLs over {args.collections} collections of "
            f"{args.accounts} accounts, python {sys.version.split()[0]}"
        )
        rows: list[tuple[str, str, Result | None, str]] = []
        pairs: dict[str, tuple[Result, Result]] = {}
        try:
            for kind in _servers.server_kinds():
                if kind.name not in wanted:
                    continue
                if not kind.available:
                    rows.append((kind.name, "(skipped)", None, kind.reason))
                    continue
                try:
                    found = bench_server(kind.name, env, load, paths, args, workdir)
                except Exception as failure:  # a benchmark reports, it never stops the others
                    log = workdir / f"{kind.name}.log"
                    tail = log.read_text(errors="replace")[-800:] if log.exists() else ""
                    rows.append((kind.name, "(failed)", None, f"{failure!r} {tail}"))
                    continue
                bare, ours = found["bare"], found["getCollection"]
                ratio = ours.rate / bare.rate if bare.rate else float("nan")
                pairs[kind.name] = (bare, ours)
                rows.append((kind.name, "bare Starlette JSON", bare, ""))
                rows.append((kind.name, "collection.getCollection", ours, f"{ratio:.2f}"))
        finally:
            if isinstance(load, PythonLoad):
                load.close()
        print()
        print_table(rows)
        print()
        connections = args.connections
        for kind_name, (bare, ours) in pairs.items():
            ratio = ours.rate / bare.rate if bare.rate else float("nan")
            by_cpu = bare.cpu_us_per_request / ours.cpu_us_per_request
            verdict = "meets" if ratio >= GOAL else "MISSES"
            print(
                f"{kind_name}: ours/bare = {ratio:.2f} by req/s ({verdict} the goal of >= {GOAL}); "
                f"{by_cpu:.2f} by server CPU per request"
            )
            p99_verdict = "meets" if ours.p99_ms < P99_GOAL_MS else "MISSES"
            print(
                f"{kind_name}: p99 {ours.p99_ms:.1f} ms beside bare's {bare.p99_ms:.1f} ms = "
                f"{ours.p99_ms / bare.p99_ms:.2f}x bare ({p99_verdict} the goal of p99 < "
                f"{P99_GOAL_MS} ms at {connections} connections)"
            )
        for note in notes(pairs, load_before):
            print(f"note: {note}")


if __name__ == "__main__":
    try:
        main()
    except Exception:
        traceback.print_exc()
    sys.exit(0)
