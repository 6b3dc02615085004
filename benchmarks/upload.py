"""Uploads through uvicorn: a 500 MB one (throughput, peak memory) and small ones ten at a time.

Part 1, a 500 MB upload: throughput and the server's peak memory growth.

flipshelf's `collection.create` (streamed to a staging file, fsynced, inspected, moved into the
store) is measured beside a bare Starlette endpoint on the same server that reads the same body
and throws it away (the floor). The document is a real, valid PDF padded with a large stream
object, so the upload is accepted exactly as a client's would be. Peak memory growth is the
server's VmHWM after the upload minus its VmRSS before it (Linux /proc).

Part 2, small PDFs ten in flight: `collection.create` of a 24 KB PDF, 10 uploads at a time for
several rounds, while `--busy` processes burn CPU beside the server (a loaded machine). Prints p50
and p95 latency and every answer code beside the same bodies sent to the bare sink endpoint on the
same server (the floor). Target: p50 under 100 ms, all answers 20.

Run: .venv/bin/python benchmarks/upload.py [--megabytes 500] [--rounds 5] [--busy 2]. Prints
tables; exits 0.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import socket
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))
sys.path.insert(0, str(BENCH_DIR.parent))

from _servers import SINK_PATH, Server, use_bench_environment  # noqa: E402

BOUNDARY = "benchboundary7a1c"
CHUNK = 1024 * 1024


def padded_pdf(path: Path, size: int) -> None:
    """A one-page PDF whose bulk is an unreferenced stream object: valid, and as large as asked."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>",
    ]
    pad = size - 400
    offsets = []
    with path.open("wb") as out:
        out.write(b"%PDF-1.4\n")
        for number, body in enumerate(objects, start=1):
            offsets.append(out.tell())
            out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
        offsets.append(out.tell())
        out.write(b"4 0 obj\n<< /Length %d >>\nstream\n" % pad)
        block = os.urandom(CHUNK)
        remaining = pad
        while remaining:
            piece = block[: min(CHUNK, remaining)]
            out.write(piece)
            remaining -= len(piece)
        out.write(b"\nendstream\nendobj\n")
        xref = out.tell()
        out.write(b"xref\n0 5\n0000000000 65535 f \n")
        for offset in offsets:
            out.write(b"%010d 00000 n \n" % offset)
        out.write(b"trailer\n<< /Size 5 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % xref)


def account(data_dir: Path) -> tuple[str, str]:
    from flipshelf.db.migrate import upgrade
    from flipshelf.runtime import build_runtime
    from flipshelf.settings import Settings
    from tests.support import new_tenant

    settings = Settings()
    data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.resolved_database_url())
    runtime = build_runtime(settings)
    try:
        tenant = new_tenant(runtime, "bench")
    finally:
        runtime.db.dispose()
    return tenant.pair.api_key, tenant.pair.secret


def multipart_parts(fields: dict[str, str], filename: str) -> tuple[bytes, bytes]:
    head = b""
    for name, value in fields.items():
        head += (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        ).encode()
    head += (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()
    return head, f"\r\n--{BOUNDARY}--\r\n".encode()


def send(port: int, path: str, head: bytes, document: Path, tail: bytes) -> tuple[float, bytes]:
    """POSTs the multipart body over a raw socket (no client-side buffering); answers the
    seconds from the first byte sent to the last byte of the answer, and the answer."""
    length = len(head) + document.stat().st_size + len(tail)
    request = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {length}\r\n"
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\nConnection: close\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", port)) as sock, document.open("rb") as body:
        started = time.perf_counter()
        sock.sendall(request + head)
        sock.sendfile(body)
        sock.sendall(tail)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
        return time.perf_counter() - started, answer


def memory_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


@dataclass
class Row:
    name: str
    seconds: float
    size: int
    growth_kb: int
    answer: str

    @property
    def mb_per_s(self) -> float:
        return self.size / self.seconds / 1e6


def measure(
    name: str, env: dict[str, str], workdir: Path, path: str, fields: dict[str, str], document: Path
) -> Row:
    """A fresh server per measurement, so the peak of one does not hide the other's."""
    server = Server("uvicorn", env, workdir / f"{name}.log")
    try:
        server.wait_ready()
        head, tail = multipart_parts(fields, "brochure.pdf")
        before = memory_kb(server.process.pid, "VmRSS")
        seconds, answer = send(server.port, path, head, document, tail)
        peak = memory_kb(server.process.pid, "VmHWM")
    finally:
        server.stop()
    status = answer.split(b"\r\n\r\n", 1)[-1][:80].decode(errors="replace")
    return Row(name, seconds, document.stat().st_size, peak - before, status)


SMALL_PDF = BENCH_DIR.parent / "tests" / "fixtures" / "documents" / "binarytree-ex1.pdf"
IN_FLIGHT = 10


def burn(stop_at: float) -> None:
    while time.monotonic() < stop_at:
        sum(range(10_000))


def in_flight(port: int, path: str, fields: list[dict[str, str]], rounds: int) -> list[Sample]:
    """`rounds` times, IN_FLIGHT uploads of SMALL_PDF sent at once; each one's latency and code."""
    samples: list[Sample] = []
    with ThreadPoolExecutor(IN_FLIGHT) as pool:
        for _round in range(rounds):

            def one(number: int) -> Sample:
                head, tail = multipart_parts(fields[number % len(fields)], "small.pdf")
                seconds, answer = send(port, path, head, SMALL_PDF, tail)
                body = answer.split(b"\r\n\r\n", 1)[-1]
                return Sample(seconds, int(json.loads(body)["code"]))

            samples += pool.map(one, range(IN_FLIGHT))
    return samples


@dataclass
class Sample:
    seconds: float
    code: int


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def small_uploads(env: dict[str, str], workdir: Path, rounds: int, busy: int) -> None:
    """Part 2 (see the module's docstring)."""
    api_key, secret = account(workdir / "data")
    from flipshelf.api.v1.signature import sign

    fields = []
    for number in range(IN_FLIGHT):
        one = {"action": "collection.create", "apiKey": api_key, "title": f"small {number}"}
        one["signature"] = sign(secret, one)
        fields.append(one)
    server = Server("uvicorn", env, workdir / "small.log")
    burners = [
        multiprocessing.Process(target=burn, args=(time.monotonic() + 600,), daemon=True)
        for _ in range(busy)
    ]
    try:
        server.wait_ready()
        in_flight(server.port, "/v1/", fields, 1)  # warm: the first checkers start
        for burner in burners:
            burner.start()
        floor = in_flight(server.port, SINK_PATH, fields, rounds)
        ours = in_flight(server.port, "/v1/", fields, rounds)
    finally:
        for burner in burners:
            burner.kill()
        server.stop()
    print(
        f"\n{SMALL_PDF.stat().st_size // 1024} KB PDF, {IN_FLIGHT} uploads in flight, "
        f"{rounds} rounds, {busy} CPU burners beside the server\n"
    )
    print(f"{'target':32s} {'p50 ms':>8s} {'p95 ms':>8s}  codes")
    for name, samples in (("bare sink (floor)", floor), ("flipshelf collection.create", ours)):
        times = [s.seconds * 1000 for s in samples]
        codes = sorted({s.code for s in samples})
        print(f"{name:32s} {percentile(times, 0.5):8.1f} {percentile(times, 0.95):8.1f}  {codes}")
    ours_p50 = percentile([s.seconds for s in ours], 0.5)
    floor_p50 = percentile([s.seconds for s in floor], 0.5)
    refused = sum(s.code != 20 for s in ours)
    print(
        f"\np50 ratio flipshelf/floor: {ours_p50 / floor_p50:.1f}x; flipshelf p50 "
        f"{ours_p50 * 1000:.0f} ms (target: under 100 ms); answers not 20: {refused} "
        f"of {len(ours)} (target: 0)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--megabytes", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--busy", type=int, default=2, help="CPU burners during part 2")
    parser.add_argument("--small-only", action="store_true", help="part 2 only")
    args = parser.parse_args()
    if args.small_only:
        with tempfile.TemporaryDirectory(prefix="flipshelf-upload-bench-") as scratch:
            env = use_bench_environment(Path(scratch) / "data")
            small_uploads(env, Path(scratch), args.rounds, args.busy)
        return
    big(args.megabytes)
    with tempfile.TemporaryDirectory(prefix="flipshelf-upload-bench-") as scratch:
        env = use_bench_environment(Path(scratch) / "data")
        small_uploads(env, Path(scratch), args.rounds, args.busy)


def big(megabytes: int) -> None:
    """Part 1 (see the module's docstring)."""
    with tempfile.TemporaryDirectory(prefix="flipshelf-upload-bench-") as scratch:
        workdir = Path(scratch)
        env = use_bench_environment(workdir / "data")
        env["FLIPSHELF_WORKERS"] = "0"
        api_key, secret = account(workdir / "data")
        document = workdir / "big.pdf"
        padded_pdf(document, megabytes * 1_000_000)
        from flipshelf.api.v1.signature import sign

        fields = {"action": "collection.create", "apiKey": api_key, "title": "bench"}
        fields["signature"] = sign(secret, fields)
        rows = [
            measure("bare sink (floor)", env, workdir, SINK_PATH, {}, document),
            measure("flipshelf collection.create", env, workdir, "/v1/", fields, document),
        ]
    print(f"\n{megabytes} MB upload through uvicorn on 127.0.0.1\n")
    print(f"{'target':32s} {'seconds':>8s} {'MB/s':>8s} {'peak growth':>12s}  answer")
    for row in rows:
        print(
            f"{row.name:32s} {row.seconds:8.2f} {row.mb_per_s:8.1f} "
            f"{row.growth_kb / 1024:9.1f} MB  {row.answer}"
        )
    floor, ours = rows
    print(f"\nthroughput ratio flipshelf/floor: {ours.mb_per_s / floor.mb_per_s:.2f}")
    print(f"server peak memory growth: {ours.growth_kb / 1024:.1f} MB (target: under 100 MB)")


if __name__ == "__main__":
    main()
