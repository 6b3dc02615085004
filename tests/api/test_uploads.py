"""The upload actions through HTTP: files, fileUrl, limits, and nothing stored when refused."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image
from starlette.testclient import TestClient

from flipshelf.app import create_app
from flipshelf.db.migrate import upgrade
from flipshelf.domain.quota import month_key
from flipshelf.runtime import Runtime, build_runtime
from tests.conftest import make_settings
from tests.support import Tenant, new_tenant, seed_collection, signed

BOUNDARY = "flipshelfboundary"


def multipart(fields: list[tuple[str, str]], files: list[tuple[str, str, bytes]]) -> bytes:
    """A multipart body in exactly the order given (fields first, as the seed's form does)."""
    out = bytearray()
    for name, value in fields:
        out += f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        out += value.encode() + b"\r\n"
    for name, filename, data in files:
        out += (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
        ).encode()
        out += data + b"\r\n"
    out += f"--{BOUNDARY}--\r\n".encode()
    return bytes(out)


def post(client: TestClient, body: bytes) -> dict[str, object]:
    response = client.post(
        "/v1/", content=body, headers={"content-type": f"multipart/form-data; boundary={BOUNDARY}"}
    )
    assert response.status_code == 200
    answer: dict[str, object] = response.json()
    return answer


def upload(
    client: TestClient,
    tenant: Tenant,
    action: str,
    data: bytes,
    name: str = "doc.pdf",
    **params: str,
) -> dict[str, object]:
    fields = list(signed(tenant.pair, action, **params).items())
    return post(client, multipart(fields, [("file", name, data)]))


def stored_files(runtime: Runtime) -> list[Path]:
    root = runtime.settings.data_dir / "files"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def staging_files(runtime: Runtime) -> list[Path]:
    root = runtime.settings.data_dir / "staging"
    return sorted(root.iterdir()) if root.exists() else []


def test_create_stores_the_file_and_answers_processing(
    client: TestClient,
    tenant: Tenant,
    runtime: Runtime,
    documents: dict[str, Path],
    queued: list[str],
) -> None:
    pdf = documents["text"].read_bytes()
    body = upload(
        client,
        tenant,
        "collection.create",
        pdf,
        name="../../etc/Spring Catalogue.pdf",
        description="d",
        collectionStatus="unlisted",
    )
    assert body["code"] == 20, body
    data = body["data"]
    assert isinstance(data, dict)
    assert data["collectionTitle"] == "Spring Catalogue"
    assert data["collectionStatus"] == "unlisted"
    (item,) = data["collectionItems"]
    assert item["convertStatus"] == "PROCESSING" and item["extension"] == "pdf"
    assert queued == [item["flipbookHash"]]
    (source,) = stored_files(runtime)
    assert source.relative_to(runtime.settings.data_dir / "files").as_posix() == (
        f"flipbooks/{item['flipbookHash']}/source.pdf"
    )
    assert source.read_bytes() == pdf
    assert staging_files(runtime) == []
    month = month_key(runtime.ports.clock.now())
    assert runtime.ports.quota.used(tenant.account.id, month) == 1


def test_the_seed_curl_order_works(
    client: TestClient, tenant: Tenant, runtime: Runtime, documents: dict[str, Path]
) -> None:
    """curl -F puts the file before the signature: credentials come after the file part."""
    collection = seed_collection(runtime, tenant)
    params = signed(tenant.pair, "collection.setBackgroundImage", collectionHash=collection.hash)
    signature = params.pop("signature")
    tail = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="signature"\r\n\r\n{signature}\r\n'
    )
    body = multipart(
        list(params.items()), [("file", "background.jpg", documents["exif_jpeg"].read_bytes())]
    )
    body = body.replace(
        f"--{BOUNDARY}--\r\n".encode(), tail.encode() + f"--{BOUNDARY}--\r\n".encode()
    )
    answer = post(client, body)
    assert answer["code"] == 20, answer
    assert isinstance(answer["data"], dict) and answer["data"]["backgroundImageUrl"]


def test_the_seed_html_form_without_a_signature_is_refused_and_stores_nothing(
    client: TestClient, tenant: Tenant, runtime: Runtime, documents: dict[str, Path]
) -> None:
    collection = seed_collection(runtime, tenant)
    fields = [
        ("action", "collection.setBackgroundImage"),
        ("apiKey", tenant.pair.api_key),
        ("collectionHash", collection.hash),
    ]
    before = stored_files(runtime)
    answer = post(
        client, multipart(fields, [("file", "bg.jpg", documents["exif_jpeg"].read_bytes())])
    )
    assert answer["code"] == 30
    assert stored_files(runtime) == before and staging_files(runtime) == []


def test_flipbook_add_appends_an_item(
    client: TestClient, tenant: Tenant, runtime: Runtime, documents: dict[str, Path]
) -> None:
    collection = seed_collection(runtime, tenant)
    answer = upload(
        client,
        tenant,
        "flipbook.add",
        documents["png"].read_bytes(),
        name="page.png",
        collectionHash=collection.hash,
        title="Second",
    )
    assert answer["code"] == 20, answer
    items = answer["data"]["collectionItems"]  # type: ignore[index]
    assert [i["flipbookTitle"] for i in items] == ["book 1", "Second"]
    assert items[1]["extension"] == "png" and items[1]["convertStatus"] == "PROCESSING"


@pytest.mark.parametrize(
    "kind,code", [("not_a_pdf", 45), ("encrypted", 45), ("truncated", 45), ("bomb", 45)]
)
def test_bad_files_answer_45_and_store_nothing(
    client: TestClient,
    tenant: Tenant,
    runtime: Runtime,
    documents: dict[str, Path],
    kind: str,
    code: int,
) -> None:
    answer = upload(client, tenant, "collection.create", documents[kind].read_bytes())
    assert answer["code"] == code, answer
    assert stored_files(runtime) == [] and staging_files(runtime) == []
    month = month_key(runtime.ports.clock.now())
    assert runtime.ports.quota.used(tenant.account.id, month) == 0
    assert (
        client.get("/v1/", params=signed(tenant.pair, "collection.getList")).json()["data"][
            "collectionCount"
        ]
        == 0
    )


def test_too_many_pages_answers_35(
    tmp_path: Path, database_url: str, documents: dict[str, Path], queued: list[str]
) -> None:
    with _server(tmp_path, database_url, max_pages=3) as (client, runtime, tenant):
        answer = upload(client, tenant, "collection.create", documents["text"].read_bytes())
        assert answer["code"] == 35
        assert stored_files(runtime) == []


def test_two_files_answer_36(client: TestClient, tenant: Tenant, runtime: Runtime) -> None:
    fields = list(signed(tenant.pair, "collection.create").items())
    answer = post(
        client, multipart(fields, [("file", "a.pdf", b"%PDF-1"), ("file", "b.pdf", b"x")])
    )
    assert answer["code"] == 36
    assert stored_files(runtime) == [] and staging_files(runtime) == []


def test_neither_file_nor_url_answers_30(client: TestClient, tenant: Tenant) -> None:
    fields = list(signed(tenant.pair, "collection.create", title="x").items())
    assert post(client, multipart(fields, []))["code"] == 30


def test_size_cap_answers_34_also_without_content_length(
    tmp_path: Path, database_url: str, queued: list[str]
) -> None:
    with _server(tmp_path, database_url, max_upload_bytes=1000) as (client, runtime, tenant):
        fields = list(signed(tenant.pair, "collection.create").items())
        body = multipart(fields, [("file", "big.pdf", b"%PDF-1.4\n" + b"0" * 5000)])

        def chunks() -> Iterator[bytes]:  # no Content-Length: sent chunked
            for start in range(0, len(body), 512):
                yield body[start : start + 512]

        response = client.post(
            "/v1/",
            content=chunks(),
            headers={"content-type": f"multipart/form-data; boundary={BOUNDARY}"},
        )
        assert response.json()["code"] == 34
        assert stored_files(runtime) == [] and staging_files(runtime) == []


def test_credentials_before_the_file_are_checked_before_it_is_read(
    runtime: Runtime, tenant: Tenant
) -> None:
    """An unknown apiKey sent before the file part: the body after the part's headers is never
    pulled from the client."""
    app = create_app(runtime)
    head = multipart([("action", "collection.create"), ("apiKey", "UNKNOWN-KEY")], [])
    head = head.replace(f"--{BOUNDARY}--\r\n".encode(), b"")
    head += (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n\r\n'
    ).encode()
    pulled: list[int] = []

    async def body() -> AsyncIterator[bytes]:
        yield head
        for n in range(100):
            pulled.append(n)
            yield b"%PDF" + b"0" * 65536

    async def scenario() -> int:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            response = await client.post(
                "/v1/",
                content=body(),
                headers={"content-type": f"multipart/form-data; boundary={BOUNDARY}"},
            )
            return int(response.json()["code"])

    assert asyncio.run(scenario()) == 41
    assert len(pulled) <= 1
    assert staging_files(runtime) == []


def test_a_bad_signature_stores_nothing(
    client: TestClient, tenant: Tenant, runtime: Runtime, documents: dict[str, Path]
) -> None:
    fields = signed(tenant.pair, "collection.create")
    fields["signature"] = "0" * 32
    answer = post(
        client, multipart(list(fields.items()), [("file", "a.pdf", documents["text"].read_bytes())])
    )
    assert answer["code"] == 44
    assert stored_files(runtime) == [] and staging_files(runtime) == []


def test_quota_answers_33_and_is_charged_once_per_success(
    tmp_path: Path, database_url: str, documents: dict[str, Path], queued: list[str]
) -> None:
    with _server(tmp_path, database_url, uploads_per_month=2) as (client, _runtime, tenant):
        pdf = documents["text"].read_bytes()
        assert upload(client, tenant, "collection.create", b"not a pdf")["code"] == 45
        assert upload(client, tenant, "collection.create", pdf)["code"] == 20
        assert upload(client, tenant, "collection.create", pdf)["code"] == 20
        assert upload(client, tenant, "collection.create", pdf)["code"] == 33
        stats = client.get("/v1/", params=signed(tenant.pair, "user.getStats")).json()
        assert stats["data"]["api_uploads_left"] == 0


def test_concurrent_uploads_never_exceed_the_quota(
    tmp_path: Path, database_url: str, documents: dict[str, Path], queued: list[str]
) -> None:
    with _server(tmp_path, database_url, uploads_per_month=3) as (_client, runtime, tenant):
        app = create_app(runtime)
        pdf = documents["text"].read_bytes()

        async def scenario() -> list[int]:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:

                async def one() -> int:
                    fields = list(signed(tenant.pair, "collection.create").items())
                    response = await client.post(
                        "/v1/",
                        content=multipart(fields, [("file", "a.pdf", pdf)]),
                        headers={"content-type": f"multipart/form-data; boundary={BOUNDARY}"},
                    )
                    return int(response.json()["code"])

                return list(await asyncio.gather(*(one() for _ in range(8))))

        codes = asyncio.run(scenario())
        assert sorted(codes) == [20, 20, 20, 33, 33, 33, 33, 33]
        month = month_key(runtime.ports.clock.now())
        assert runtime.ports.quota.used(tenant.account.id, month) == 3


def test_logo_is_reencoded_without_metadata(
    client: TestClient, tenant: Tenant, runtime: Runtime, documents: dict[str, Path]
) -> None:
    collection = seed_collection(runtime, tenant)
    answer = upload(
        client,
        tenant,
        "collection.setLogo",
        documents["exif_jpeg"].read_bytes(),
        name="logo.jpg",
        collectionHash=collection.hash,
    )
    assert answer["code"] == 20, answer
    assert answer["data"]["logoUrl"]  # type: ignore[index]
    (stored,) = [p for p in stored_files(runtime) if "logo" in p.name]
    with Image.open(stored) as image:
        assert not image.getexif()
    assert (
        upload(
            client, tenant, "collection.setLogo", b"%PDF-1.4 nope", collectionHash=collection.hash
        )["code"]
        == 45
    )
    again = upload(
        client,
        tenant,
        "collection.setLogo",
        documents["png"].read_bytes(),
        name="logo.png",
        collectionHash=collection.hash,
    )
    assert again["code"] == 20
    assert len([p for p in stored_files(runtime) if "logo" in p.name]) == 1  # the old one is gone


def test_upload_to_a_foreign_or_unknown_collection(
    client: TestClient, tenant: Tenant, runtime: Runtime, documents: dict[str, Path]
) -> None:
    foreign = seed_collection(runtime, new_tenant(runtime, "other"))
    png = documents["png"].read_bytes()
    for action in ("flipbook.add", "collection.setLogo", "collection.setBackgroundImage"):
        assert upload(client, tenant, action, png, collectionHash=foreign.hash)["code"] == 43
        assert upload(client, tenant, action, png, collectionHash="zzzzzzzzzz")["code"] == 46
        assert upload(client, tenant, action, png)["code"] == 30
    assert [p for p in stored_files(runtime)] == []


def test_a_file_part_must_be_named_file(client: TestClient, tenant: Tenant) -> None:
    fields = list(signed(tenant.pair, "collection.create").items())
    assert post(client, multipart(fields, [("document", "a.pdf", b"%PDF")]))["code"] == 40


class _server:
    """A runtime and client with settings overridden, for limits tests."""

    def __init__(self, tmp_path: Path, database_url: str, **overrides: object) -> None:
        self.settings = make_settings(tmp_path, database_url, **overrides)

    def __enter__(self) -> tuple[TestClient, Runtime, Tenant]:
        from tests.support import RecordingQueue

        upgrade(self.settings.resolved_database_url())
        self.runtime = build_runtime(self.settings, queue=RecordingQueue())
        self.client = TestClient(create_app(self.runtime))
        return self.client, self.runtime, new_tenant(self.runtime)

    def __exit__(self, *_exc: object) -> None:
        self.client.close()
        self.runtime.db.dispose()


def test_create_takes_rtl(client: TestClient, tenant: Tenant, documents: dict[str, Path]) -> None:
    answer = upload(client, tenant, "collection.create", documents["text"].read_bytes(), rtl="true")
    assert answer["code"] == 20 and answer["data"]["rtl"] is True  # type: ignore[index]
    bad = upload(client, tenant, "collection.create", documents["text"].read_bytes(), rtl="left")
    assert bad["code"] == 40
