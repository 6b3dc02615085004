"""Calls as real clients send them (issue 11): a C# client of the live service, and the help
guide's parameter names.

The C# client builds every call with .NET's HttpClient: non-upload actions as a POST whose body
is `FormUrlEncodedContent` (urlencoded, spaces as `+`), uploads as `MultipartFormDataContent`,
whose parts .NET writes with unquoted names (`form-data; name=title`), a `text/plain` type on
every text part, an RFC 5987 `filename*` beside `filename`, and a quoted boundary in the
Content-Type header. `CSharpClient` reproduces those bytes.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from starlette.testclient import TestClient

from flipshelf.api.v1.signature import sign
from flipshelf.domain.collections import CollectionStatus
from flipshelf.runtime import Runtime
from tests.api.test_uploads import _server
from tests.support import Tenant, seed_collection


class CSharpClient:
    """Requests shaped like the C# client's (see the module's docstring)."""

    def __init__(self, client: TestClient, tenant: Tenant) -> None:
        self.client, self.tenant = client, tenant

    def _signed(self, action: str, params: dict[str, str]) -> dict[str, str]:
        values = {"action": action, "apiKey": self.tenant.pair.api_key, **params}
        # The client sorts with StringComparer.Ordinal: code-point order, as the reference says.
        values["signature"] = sign(self.tenant.pair.secret, values)
        return values

    def post_form(self, action: str, **params: str) -> dict[str, Any]:
        body = urlencode(self._signed(action, params))  # spaces as '+', like .NET
        response = self.client.post(
            "/v1/",
            content=body.encode(),
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        assert response.status_code == 200
        answer: dict[str, Any] = response.json()
        return answer

    def post_multipart(
        self, action: str, file: tuple[str, bytes] | None = None, **params: str
    ) -> dict[str, Any]:
        boundary = str(uuid.uuid4())
        out = bytearray()
        for name, value in self._signed(action, params).items():
            out += f"--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n".encode()
            out += f"Content-Disposition: form-data; name={name}\r\n\r\n".encode()
            out += value.encode() + b"\r\n"
        if file is not None:
            filename, data = file
            out += f"--{boundary}\r\nContent-Type: application/pdf\r\n".encode()
            out += (
                f"Content-Disposition: form-data; name=file; filename={filename}; "
                f"filename*=utf-8''{quote(filename)}\r\n\r\n"
            ).encode()
            out += data + b"\r\n"
        out += f"--{boundary}--\r\n".encode()
        response = self.client.post(
            "/v1/",
            content=bytes(out),
            headers={"content-type": f'multipart/form-data; boundary="{boundary}"'},
        )
        assert response.status_code == 200
        answer: dict[str, Any] = response.json()
        return answer


@pytest.fixture
def csharp(client: TestClient, tenant: Tenant) -> CSharpClient:
    return CSharpClient(client, tenant)


def test_get_list_and_get_embed_as_urlencoded_posts_answer_20(
    csharp: CSharpClient, runtime: Runtime, tenant: Tenant
) -> None:
    collection = seed_collection(runtime, tenant, title="Spring catalogue")
    listed = csharp.post_form("collection.getList", query="spring cat", orderBy="date")
    assert listed["code"] == 20, listed
    assert [c["collectionHash"] for c in listed["data"]["collections"]] == [collection.hash]
    embed = csharp.post_form("collection.getEmbed", collectionHash=collection.hash, width="800")
    assert embed["code"] == 20, embed
    assert f"/widget/{collection.hash}" in embed["data"]["embedCode"]
    # The same calls as multipart bodies without a file.
    assert csharp.post_multipart("collection.getList")["code"] == 20
    answer = csharp.post_multipart("collection.getCollection", collectionHash=collection.hash)
    assert answer["code"] == 20


def test_order_by_name_orders_by_title(
    csharp: CSharpClient, runtime: Runtime, tenant: Tenant
) -> None:
    for title in ("banana", "Apple", "cherry"):
        seed_collection(runtime, tenant, title=title)
    ascending = ["Apple", "banana", "cherry"]
    for mode, expected in (("asc", ascending), ("desc", ascending[::-1])):
        answer = csharp.post_form("collection.getList", orderBy="name", orderMode=mode)
        assert [c["collectionTitle"] for c in answer["data"]["collections"]] == expected
    assert csharp.post_form("collection.getList", orderBy="size")["code"] == 40


def test_create_takes_the_help_guides_width_height_and_status(
    csharp: CSharpClient, documents: dict[str, Path]
) -> None:
    pdf = ("spring catalogue.pdf", documents["text"].read_bytes())
    made = csharp.post_multipart(
        "collection.create", pdf, title="Spring", width="800", height="600", status="unlisted"
    )
    assert made["code"] == 20, made
    data = made["data"]
    assert data["settings"] == {"collectionWidth": "800", "collectionHeight": "600"}
    assert data["collectionStatus"] == CollectionStatus.UNLISTED.value
    # The v1 names still work; both names with different values is ambiguous.
    same = csharp.post_multipart("collection.create", pdf, width="800", collectionWidth="800")
    assert same["code"] == 20 and same["data"]["settings"]["collectionWidth"] == "800"
    clash = csharp.post_multipart("collection.create", pdf, width="800", collectionWidth="900")
    assert clash["code"] == 40
    assert csharp.post_multipart("collection.create", pdf, status="sideways")["code"] == 40


def test_an_empty_collection_hash_answers_30_in_every_body(csharp: CSharpClient) -> None:
    for action in ("collection.getCollection", "collection.getEmbed", "collection.update"):
        assert csharp.post_form(action, collectionHash="")["code"] == 30, action
        assert csharp.post_multipart(action, collectionHash="")["code"] == 30, action
    assert csharp.post_multipart("flipbook.add", collectionHash="")["code"] == 30


def test_an_upload_action_takes_a_urlencoded_post_for_its_file_url(csharp: CSharpClient) -> None:
    """No file can come in a urlencoded body: the action's own checks answer (30 here), not
    the verb rule."""
    assert csharp.post_form("collection.create", title="x")["code"] == 30


def test_a_file_sent_to_a_non_upload_action_still_answers_40(
    client: TestClient, tenant: Tenant, csharp: CSharpClient
) -> None:
    pdf = ("a.pdf", b"%PDF-1.4")
    assert csharp.post_multipart("collection.getList", pdf)["code"] == 40
    # The fields after the file part (as curl -F sends them): the file is read before the
    # action is known, and refused after.
    values = {"action": "user.getStats", "apiKey": tenant.pair.api_key}
    values["signature"] = sign(tenant.pair.secret, values)
    body = b"--b\r\nContent-Disposition: form-data; name=file; filename=a.pdf\r\n\r\n%PDF\r\n"
    for name, value in values.items():
        body += f"--b\r\nContent-Disposition: form-data; name={name}\r\n\r\n{value}\r\n".encode()
    body += b"--b--\r\n"
    headers = {"content-type": "multipart/form-data; boundary=b"}
    assert client.post("/v1/", content=body, headers=headers).json()["code"] == 40


def test_the_references_letter_is_a_setting(
    tmp_path: Path, database_url: str, documents: dict[str, Path]
) -> None:
    with _server(tmp_path, database_url, lenient_verbs=False) as (client, _runtime, tenant):
        csharp = CSharpClient(client, tenant)
        assert csharp.post_form("collection.getList")["code"] == 40
        assert csharp.post_multipart("collection.getList")["code"] == 40
        assert csharp.post_form("collection.create", title="x")["code"] == 40
        assert (
            client.get("/v1/", params=csharp._signed("collection.getList", {})).json()["code"] == 20
        )
        pdf = ("a.pdf", documents["text"].read_bytes())
        assert csharp.post_multipart("collection.create", pdf)["code"] == 20
