"""A 500 MB upload through uvicorn: throughput and the server's peak memory growth.

flipshelf's `collection.create` (streamed to a staging file, fsynced, inspected, moved into the
store) is measured beside a bare Starlette endpoint on the same server that reads the same body
and throws it away (the floor). The document is a real, valid PDF padded with a large stream
object, so the upload is accepted exactly as a client's would be. Peak memory growth is the
server's VmHWM after the upload minus its VmRSS before it (Linux /proc).

Run: .venv/bin/python benchmarks/upload.py [--megabytes 500]. Prints a table; exits 0.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import tempfile
import time
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
    from flipshelf.app import build_runtime
    from flipshelf.db.migrate import upgrade
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--megabytes", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="flipshelf-upload-bench-") as scratch:
        workdir = Path(scratch)
        env = use_bench_environment(workdir / "data")
        env["FLIPSHELF_WORKERS"] = "0"
        api_key, secret = account(workdir / "data")
        document = workdir / "big.pdf"
        padded_pdf(document, args.megabytes * 1_000_000)
        from flipshelf.api.v1.signature import sign

        fields = {"action": "collection.create", "apiKey": api_key, "title": "bench"}
        fields["signature"] = sign(secret, fields)
        rows = [
            measure("bare sink (floor)", env, workdir, SINK_PATH, {}, document),
            measure("flipshelf collection.create", env, workdir, "/v1/", fields, document),
        ]
    print(f"\n{args.megabytes} MB upload through uvicorn on 127.0.0.1\n")
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
