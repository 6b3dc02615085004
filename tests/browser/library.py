"""What the browser tests (and benchmarks/player.py) read: the real app served by uvicorn on
loopback, real `flipshelf worker` processes converting real PDFs, a recorder of the reader
events the player sends, and a second origin serving pages that embed the player."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from flipshelf.app import create_app
from flipshelf.db.migrate import upgrade
from flipshelf.runtime import Runtime, build_runtime
from flipshelf.settings import Settings
from tests.api.test_uploads import BOUNDARY, multipart
from tests.support import Tenant, new_tenant, signed

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
REPO = Path(__file__).resolve().parents[2]
AXE = REPO / ".cache" / "npm" / "node_modules" / "axe-core" / "axe.min.js"


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class EventRecorder:
    """ASGI middleware: remembers every POST /events body and the status the app answered."""

    app: ASGIApp
    events: list[tuple[dict[str, Any], int]] = field(default_factory=list)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != "/events" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        status = 0

        async def watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        await self.app(scope, replay, watch)
        try:
            event = json.loads(body)
        except ValueError:
            event = {"unparsable": body.decode("utf-8", "replace")}
        self.events.append((event, status))


class LiveServer:
    """uvicorn serving an ASGI app in a thread, on a loopback port chosen beforehand."""

    def __init__(self, app: ASGIApp, port: int, host: str = "127.0.0.1") -> None:
        config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="off")
        self.server = uvicorn.Server(config)
        self.url = f"http://{host}:{port}"
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)

    def close(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


class OtherOrigin:
    """A plain web server on another loopback address: a site that pasted the embed code."""

    def __init__(self, host: str = "127.0.0.2") -> None:
        self.pages: dict[str, str] = {}
        pages = self.pages

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                page = pages.get(self.path.split("?")[0])
                body = (page or "not found").encode()
                self.send_response(200 if page is not None else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args: object) -> None:
                return

        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.url = f"http://{host}:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def page(self, path: str, body_html: str) -> str:
        self.pages[path] = (
            '<!doctype html><html lang="en"><head><meta charset="utf-8">'
            "<title>A site that embeds a flipbook</title></head>"
            f"<body><h1>Our catalogue</h1>{body_html}</body></html>"
        )
        return self.url + path

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Api:
    """Signed v1 calls against the live server, as a client library makes them."""

    def __init__(self, base_url: str, tenant: Tenant) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=60)
        self.tenant = tenant

    def get(self, action: str, **params: Any) -> dict[str, Any]:
        answer: dict[str, Any] = self.http.get(
            "/v1/", params=signed(self.tenant.pair, action, **params)
        ).json()
        assert answer["code"] == 20, answer
        data: dict[str, Any] = answer.get("data") or {}
        return data

    def upload(self, action: str, data: bytes, name: str, **params: str) -> dict[str, Any]:
        fields = list(signed(self.tenant.pair, action, **params).items())
        response = self.http.post(
            "/v1/",
            content=multipart(fields, [("file", name, data)]),
            headers={"content-type": f"multipart/form-data; boundary={BOUNDARY}"},
        )
        answer: dict[str, Any] = response.json()
        assert answer["code"] == 20, answer
        result: dict[str, Any] = answer["data"]
        return result

    def wait(
        self,
        collection_hash: str,
        done: Callable[[dict[str, Any]], bool] | None = None,
        timeout: float = 600,
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            data = self.get("collection.getCollection", collectionHash=collection_hash)
            items = data["collectionItems"]
            finished = all(item["convertStatus"] != "PROCESSING" for item in items)
            if (done or (lambda _d: finished))(data) and finished:
                return data
            if time.monotonic() > deadline:
                raise AssertionError(f"conversion did not finish: {data}")
            time.sleep(0.3)

    def close(self) -> None:
        self.http.close()


@dataclass
class Library:
    """The running server, its workers, an API client and a recorder of reader events."""

    runtime: Runtime
    server: LiveServer
    recorder: EventRecorder
    api: Api
    tenant: Tenant

    @property
    def url(self) -> str:
        return self.server.url

    def manifest_path(self, flipbook_hash: str) -> Path:
        path = self.runtime.ports.files.local_path(f"flipbooks/{flipbook_hash}/book/manifest.json")
        assert path is not None
        return path

    def widget(self, collection_hash: str, query: str = "") -> str:
        return f"{self.url}/widget/{collection_hash}" + (f"?{query}" if query else "")


def start_library(work: Path, settings_overrides: dict[str, Any]) -> Library:
    port = free_port()
    values: dict[str, Any] = {
        "data_dir": work / "data",
        "database_url": f"sqlite:///{work / 'flipshelf.db'}",
        "public_url": f"http://127.0.0.1:{port}",
        "rate_per_second": 10_000,
        "rate_per_minute": 100_000,
        "log_level": "warning",
    }
    values.update(settings_overrides)
    settings = Settings(**values)
    upgrade(settings.resolved_database_url())
    runtime = build_runtime(settings)
    recorder = EventRecorder(create_app(runtime))
    server = LiveServer(recorder, port)
    tenant = new_tenant(runtime)
    return Library(runtime, server, recorder, Api(server.url, tenant), tenant)


def stop_library(library: Library) -> None:
    library.api.close()
    library.server.close()
    library.runtime.db.dispose()
