"""A webhook endpoint on 127.0.0.1 for the client's tests: it keeps each POST as it arrived (the
raw body and the signature header, unverified, so the test verifies them with the client's
helper) and answers 204."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Delivery:
    body: bytes
    signature: str | None
    event_id: str | None


class HookReceiver:
    def __init__(self, server: ThreadingHTTPServer, received: list[Delivery]) -> None:
        self.server, self.received = server, received

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def wait_for(self, count: int, timeout: float) -> list[Delivery]:
        """Polls until `count` deliveries arrived; fails after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while len(self.received) < count:
            assert time.monotonic() < deadline, f"{len(self.received)} of {count} deliveries"
            time.sleep(0.05)
        return list(self.received)


@contextmanager
def hook_receiver() -> Iterator[HookReceiver]:
    received: list[Delivery] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            signature, event_id = (
                self.headers.get("Flipshelf-Signature"),
                self.headers.get("Flipshelf-Event-Id"),
            )
            received.append(Delivery(body, signature, event_id))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *_args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield HookReceiver(server, received)
    finally:
        server.shutdown()
        server.server_close()
