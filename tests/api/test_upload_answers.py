"""What an upload answers (issue 11): why a file was refused, in every format; the page count
while the book converts; titles from long file names; the pages a converted book could not draw."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from flipshelf.conversion import errors
from flipshelf.jobs.conversion_job import run_conversion
from flipshelf.runtime import Runtime, conversion_context
from tests.api.test_uploads import BOUNDARY, _server, multipart, upload
from tests.support import Tenant, signed


@pytest.mark.parametrize(
    "kind,reason",
    [
        ("encrypted", errors.PASSWORD_PROTECTED),
        ("truncated", errors.TRUNCATED_PDF),
        ("fake_pdf", errors.CORRUPT_PDF),
        ("not_a_pdf", errors.NOT_A_DOCUMENT),
        ("bomb", errors.IMAGE_TOO_LARGE),
    ],
)
def test_a_refused_file_says_why_in_json_jsonp_and_xml(
    client: TestClient, tenant: Tenant, documents: dict[str, Path], kind: str, reason: str
) -> None:
    data = documents[kind].read_bytes()
    answer = upload(client, tenant, "collection.create", data)
    assert answer == {"code": 45, "status": "Invalid file format", "reason": reason}

    fields = list(signed(tenant.pair, "collection.create", format="jsonp", callback="cb").items())
    body = multipart(fields, [("file", "doc.pdf", data)])
    headers = {"content-type": f"multipart/form-data; boundary={BOUNDARY}"}
    text = client.post("/v1/", content=body, headers=headers).text
    assert text.startswith("/**/cb(") and json.loads(text[7:-2])["reason"] == reason

    fields = list(signed(tenant.pair, "collection.create", format="xml").items())
    body = multipart(fields, [("file", "doc.pdf", data)])
    root = ET.fromstring(client.post("/v1/", content=body, headers=headers).text)
    assert (root.findtext("code"), root.findtext("reason")) == ("45", reason)


def test_a_document_over_the_page_limit_says_how_many_pages_it_has(
    tmp_path: Path, database_url: str, documents: dict[str, Path]
) -> None:
    with _server(tmp_path, database_url, max_pages=3) as (client, _runtime, tenant):
        answer = upload(client, tenant, "collection.create", documents["text"].read_bytes())
    assert answer["code"] == 35
    assert answer["reason"] == "page limit exceeded: 5 pages; the limit is 3"


def test_other_refusals_carry_no_reason(client: TestClient, tenant: Tenant) -> None:
    answer = client.get("/v1/", params=signed(tenant.pair, "collection.getList", orderBy="x"))
    assert answer.json() == {"code": 40, "status": "Bad request"}


def test_the_page_count_is_known_while_the_book_converts(
    client: TestClient, tenant: Tenant, documents: dict[str, Path]
) -> None:
    made = upload(client, tenant, "collection.create", documents["text"].read_bytes())
    (item,) = made["data"]["collectionItems"]  # type: ignore[index]
    assert (item["convertStatus"], item["pageCount"], item["pagesReady"]) == ("PROCESSING", 5, 0)
    collection_hash = made["data"]["collectionHash"]  # type: ignore[index]
    params = signed(tenant.pair, "collection.getCollection", collectionHash=collection_hash)
    again = client.get("/v1/", params=params).json()
    assert again["data"]["collectionItems"][0]["pageCount"] == 5


def test_a_long_file_name_is_shortened_into_the_title(
    client: TestClient, tenant: Tenant, documents: dict[str, Path]
) -> None:
    name = "Jahresbericht " + "sehr lang " * 40 + ".pdf"
    made = upload(client, tenant, "collection.create", documents["text"].read_bytes(), name=name)
    assert made["code"] == 20, made
    title = made["data"]["collectionTitle"]  # type: ignore[index]
    assert 250 < len(title) <= 255 and title.endswith("\u2026")
    assert title.startswith("Jahresbericht sehr")
    assert made["data"]["collectionItems"][0]["flipbookTitle"] == title  # type: ignore[index]
    # A title the client gives is still refused when too long: it chose it.
    long_title = upload(
        client, tenant, "collection.create", documents["text"].read_bytes(), title="x" * 256
    )
    assert long_title["code"] == 40


def test_a_book_with_one_unreadable_page_completes_and_reports_it(
    client: TestClient, tenant: Tenant, runtime: Runtime, documents: dict[str, Path]
) -> None:
    made = upload(client, tenant, "collection.create", documents["bad_page"].read_bytes())
    assert made["code"] == 20, made
    collection_hash = made["data"]["collectionHash"]  # type: ignore[index]
    flipbook_hash = made["data"]["collectionItems"][0]["flipbookHash"]  # type: ignore[index]
    assert run_conversion(conversion_context(runtime), flipbook_hash) is True
    params = signed(tenant.pair, "collection.getCollection", collectionHash=collection_hash)
    answer = client.get("/v1/", params=params).json()
    (item,) = answer["data"]["collectionItems"]
    assert (item["convertStatus"], item["pageCount"], item["failedPages"]) == ("COMPLETE", 3, [2])
    manifest = client.get(f"/f/{flipbook_hash}/manifest.json").json()
    assert manifest["pages"][1]["failed"] == errors.CORRUPT_PDF
    # A book whose pages were all drawn has no failedPages.
    fine = upload(client, tenant, "collection.create", documents["text"].read_bytes())
    fine_hash = fine["data"]["collectionItems"][0]["flipbookHash"]  # type: ignore[index]
    assert run_conversion(conversion_context(runtime), fine_hash) is True
    listed = client.get("/v1/", params=signed(tenant.pair, "collection.getList")).json()
    items = [c["collectionItems"][0] for c in listed["data"]["collections"]]
    assert [("failedPages" in i, i["convertStatus"]) for i in items] == [
        (False, "COMPLETE"),
        (True, "COMPLETE"),
    ]
