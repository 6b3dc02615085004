"""A webhook receiver on 127.0.0.1, as a user would write one: it keeps every delivery it gets
(headers and raw body), answers with the statuses a test scripts, and may hold a request
unanswered until the test lets it go (to kill a worker mid-delivery)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from flipshelf_client import verify_webhook


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def event(self) -> dict[str, Any]:
        found: dict[str, Any] = json.loads(self.body)
        return found

    def verify(self, secret: str, now: float | None = None) -> dict[str, Any]:
        """The event, once the client's helper accepts its signature (raises otherwise)."""
        verify_webhook(self.body, self.headers.get("flipshelf-signature"), secret, now=now)
        return self.event


class Receiver:
    """Answers each POST with the next of `statuses` (the last one repeats)."""

    def __init__(self, statuses: tuple[int, ...] = (200,), hold_first: bool = False) -> None:
        self.statuses = list(statuses)
        self.received: list[Received] = []
        self.released = threading.Event()
        self._hold_first = hold_first
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/hooks/flipshelf"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                headers = {name.lower(): value for name, value in self.headers.items()}
                status, hold = receiver._take(Received(self.path, headers, body))
                if hold:
                    receiver.released.wait(120)
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:
                    pass  # the sender is gone (a killed worker): nothing to answer

            def log_message(self, *_args: object) -> None:
                return

        return Handler

    def _take(self, received: Received) -> tuple[int, bool]:
        with self._lock:
            self.received.append(received)
            status = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
            hold = self._hold_first and len(self.received) == 1
        return status, hold

    def wait_for(self, count: int, timeout: float = 60.0) -> list[Received]:
        """Polls until `count` deliveries arrived; fails after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while len(self.received) < count:
            assert time.monotonic() < deadline, (
                f"{len(self.received)} of {count} deliveries within {timeout:.0f} s"
            )
            time.sleep(0.05)
        return list(self.received)

    def event(
        self, secret: str, kind: str, collection_hash: str, timeout: float = 120.0
    ) -> dict[str, Any]:
        """Waits for a verified event of `kind` about a collection; fails after `timeout`."""
        deadline = time.monotonic() + timeout
        while True:
            for event in self.events(secret).values():
                if event["event"] == kind and event["data"]["collectionHash"] == collection_hash:
                    return event
            assert time.monotonic() < deadline, f"no {kind} within {timeout:.0f} s"
            time.sleep(0.1)

    def events(self, secret: str, now: float | None = None) -> dict[str, dict[str, Any]]:
        """Every verified event by its id, deduplicated as a receiver must."""
        with self._lock:
            received = list(self.received)
        verified = (r.verify(secret, now) for r in received)
        return {event["id"]: event for event in verified}


@contextmanager
def receiving(statuses: tuple[int, ...] = (200,), hold_first: bool = False) -> Iterator[Receiver]:
    receiver = Receiver(statuses, hold_first)
    receiver._thread.start()
    try:
        yield receiver
    finally:
        receiver.released.set()
        receiver._server.shutdown()
        receiver._server.server_close()
