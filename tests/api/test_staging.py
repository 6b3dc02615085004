"""Uploads from hostile or broken clients leave nothing in staging/ (issue 11): bodies cut short,
clients that go away, every refusal; what one apiKey or address may stage at once is capped; a
sweep removes what a crashed process left."""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from flipshelf.app import create_app
from flipshelf.runtime import Runtime
from flipshelf.web.staging_limits import BUDGET_REASON, STALE_AFTER_SECONDS, sweep_stale
from tests.api.test_uploads import (
    BOUNDARY,
    _server,
    multipart,
    post,
    staging_files,
    stored_files,
    upload,
)
from tests.support import Tenant, new_tenant, seed_collection, signed

HEADERS = {"content-type": f"multipart/form-data; boundary={BOUNDARY}"}


def file_part(data: bytes, name: str = "doc.pdf") -> bytes:
    return (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode() + data


def field_parts(fields: dict[str, str]) -> bytes:
    return multipart(list(fields.items()), [])[: -len(f"--{BOUNDARY}--\r\n")]


def cut_bodies(tenant: Tenant, pdf: bytes) -> dict[str, bytes]:
    fields = signed(tenant.pair, "collection.create")
    before, after = field_parts(fields), field_parts(fields)
    whole = before + file_part(pdf) + b"\r\n" + f"--{BOUNDARY}--\r\n".encode()
    return {
        "inside the file, fields before": before + file_part(pdf[: len(pdf) // 2]),
        "inside the file, fields after": file_part(pdf[: len(pdf) // 2]),
        "after the file's data": before + file_part(pdf),
        "inside a field after the file": file_part(pdf) + b"\r\n" + after[:-20],
        "without the closing boundary": whole[: -len(f"--{BOUNDARY}--\r\n")],
        "inside the closing boundary": whole[:-4],
    }


@pytest.mark.parametrize(
    "where",
    [
        "inside the file, fields before",
        "inside the file, fields after",
        "after the file's data",
        "inside a field after the file",
        "without the closing boundary",
        "inside the closing boundary",
    ],
)
def test_a_body_cut_short_answers_40_and_leaves_nothing(
    client: TestClient, tenant: Tenant, runtime: Runtime, documents: dict[str, Path], where: str
) -> None:
    body = cut_bodies(tenant, documents["text"].read_bytes())[where]
    # Content-Length matches what is sent: the server sees a complete request, not a timeout.
    response = client.post("/v1/", content=body, headers=HEADERS)
    assert response.json() == {"code": 40, "status": "Bad request"}
    assert staging_files(runtime) == [] and stored_files(runtime) == []


def test_the_whole_body_still_answers_20(
    client: TestClient, tenant: Tenant, runtime: Runtime, documents: dict[str, Path]
) -> None:
    """The control for the test above: the same body, complete, with or without the final CRLF."""
    fields = signed(tenant.pair, "collection.create")
    pdf = documents["text"].read_bytes()
    whole = field_parts(fields) + file_part(pdf) + b"\r\n" + f"--{BOUNDARY}--\r\n".encode()
    assert client.post("/v1/", content=whole, headers=HEADERS).json()["code"] == 20
    fields = signed(tenant.pair, "collection.create")
    whole = field_parts(fields) + file_part(pdf) + b"\r\n" + f"--{BOUNDARY}--".encode()
    assert client.post("/v1/", content=whole, headers=HEADERS).json()["code"] == 20
    assert staging_files(runtime) == []


def test_a_client_that_goes_away_mid_upload_leaves_nothing(
    runtime: Runtime, tenant: Tenant, documents: dict[str, Path]
) -> None:
    app = create_app(runtime)
    fields = signed(tenant.pair, "collection.create")
    chunks = [field_parts(fields), file_part(documents["text"].read_bytes()[:5000])]
    sent: list[dict[str, Any]] = []

    async def scenario() -> None:
        messages = [{"type": "http.request", "body": chunk, "more_body": True} for chunk in chunks]
        messages.append({"type": "http.disconnect"})

        async def receive() -> dict[str, Any]:
            return messages.pop(0)

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
            "scheme": "http", "path": "/v1/", "raw_path": b"/v1/", "query_string": b"",
            "root_path": "", "headers": [(b"content-type", HEADERS["content-type"].encode())],
            "client": ("203.0.113.9", 4000), "server": ("t", 80),
        }  # fmt: skip
        await app(scope, receive, send)

    asyncio.run(scenario())
    assert staging_files(runtime) == [] and stored_files(runtime) == []
    # Answered as a malformed request (to nobody), not as an internal error.
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    assert json.loads(body)["code"] == 40


def test_every_refusal_of_an_upload_leaves_nothing_in_staging(
    tmp_path: Path, database_url: str, documents: dict[str, Path]
) -> None:
    limits = {"uploads_per_month": 1, "max_pages": 3, "max_upload_bytes": 60_000}
    with _server(tmp_path, database_url, **limits) as (client, runtime, tenant):
        pdf, big = documents["bad_page"].read_bytes(), documents["text"].read_bytes()
        foreign = seed_collection(runtime, new_tenant(runtime, "other"))
        bad_sig = signed(tenant.pair, "collection.create")
        bad_sig["signature"] = "0" * 32
        refusals = {
            44: post(client, multipart(list(bad_sig.items()), [("file", "a.pdf", pdf)])),
            45: upload(client, tenant, "collection.create", b"%PDF-1.4 not really"),
            35: upload(client, tenant, "collection.create", big),
            43: upload(client, tenant, "flipbook.add", pdf, collectionHash=foreign.hash),
            46: upload(client, tenant, "flipbook.add", pdf, collectionHash="zzzzzzzzzz"),
            40: upload(client, tenant, "collection.create", pdf, collectionWidth="wide"),
            34: upload(client, tenant, "collection.create", b"%PDF-1.4\n" + b"0" * 70_000),
        }
        assert {code: answer["code"] for code, answer in refusals.items()} == {
            code: code for code in refusals
        }
        assert upload(client, tenant, "collection.create", pdf)["code"] == 20
        assert upload(client, tenant, "collection.create", pdf)["code"] == 33
        assert staging_files(runtime) == []


class Gate:
    """An upload body that sends its head and part of its file, then waits until released."""

    def __init__(self, head: bytes, held: bytes, rest: bytes) -> None:
        self.head, self.held, self.rest = head, held, rest
        self.reached = asyncio.Event()
        self.release = asyncio.Event()

    async def body(self) -> AsyncIterator[bytes]:
        yield self.head
        yield self.held
        self.reached.set()
        await self.release.wait()
        yield self.rest


def upload_body(tenant: Tenant, pdf: bytes) -> tuple[bytes, bytes, bytes]:
    head = field_parts(signed(tenant.pair, "collection.create")) + file_part(b"")
    half = len(pdf) // 2
    return head, pdf[:half], pdf[half:] + b"\r\n" + f"--{BOUNDARY}--\r\n".encode()


def test_staged_bytes_per_api_key_and_per_address_are_capped(
    tmp_path: Path, database_url: str, documents: dict[str, Path]
) -> None:
    pdf = documents["text"].read_bytes()
    cap = len(pdf) + 1000  # one upload fits, a second one in flight beside it does not
    with _server(tmp_path, database_url, upload_staging_bytes=cap) as (_client, runtime, tenant):
        other = new_tenant(runtime, "other")
        app = create_app(runtime)

        async def send(client: httpx.AsyncClient, body: Any) -> dict[str, Any]:
            response = await client.post("/v1/", content=body, headers=HEADERS)
            answer: dict[str, Any] = response.json()
            return answer

        async def scenario() -> list[dict[str, Any]]:
            here = httpx.ASGITransport(app=app, client=("198.51.100.7", 1000))
            there = httpx.ASGITransport(app=app, client=("198.51.100.8", 1000))
            async with (
                httpx.AsyncClient(transport=here, base_url="http://t") as first,
                httpx.AsyncClient(transport=there, base_url="http://t") as second,
            ):
                gate = Gate(*upload_body(tenant, pdf))
                holding = asyncio.create_task(send(first, gate.body()))
                await asyncio.wait_for(gate.reached.wait(), 60)
                answers = [
                    # Same key, another address; another key, same address: over the cap.
                    await send(second, b"".join(upload_body(tenant, pdf))),
                    await send(first, b"".join(upload_body(other, pdf))),
                    # Another key from another address is not held back by either.
                    await send(second, b"".join(upload_body(other, pdf))),
                ]
                gate.release.set()
                answers.append(await holding)
                # Once the first upload ended, its key and address may stage again.
                answers.append(await send(first, b"".join(upload_body(tenant, pdf))))
                return answers

        answers = asyncio.run(scenario())
        refused = {"code": 34, "status": "File size too large", "reason": BUDGET_REASON}
        assert answers[:2] == [refused, refused]
        assert [answer["code"] for answer in answers[2:]] == [20, 20, 20]
        assert staging_files(runtime) == []


def test_stale_staging_files_are_swept_when_the_api_starts(
    runtime: Runtime, tmp_path: Path
) -> None:
    staging = runtime.settings.data_dir / "staging"
    staging.mkdir(parents=True, exist_ok=True)
    old, fresh = staging / "upload-old.part", staging / "upload-fresh.part"
    for path in (old, fresh):
        path.write_bytes(b"partial")
    long_ago = time.time() - STALE_AFTER_SECONDS - 60
    os.utime(old, (long_ago, long_ago))
    with TestClient(create_app(runtime)):
        assert not old.exists() and fresh.exists()  # an upload in flight is left alone
    assert sweep_stale(staging, now=time.time() + STALE_AFTER_SECONDS + 60) == 1
    assert staging_files(runtime) == []
    assert sweep_stale(tmp_path / "missing") == 0
