"""Publishing through the dashboard: the API's upload path and use cases (same limits, same
reasons for a refusal, same quota), then books, settings, images and deletion, each seen
through the v1 API afterwards."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from flipshelf.domain.collections import CollectionStatus, ConvertStatus
from flipshelf.domain.errors import FlipshelfError
from flipshelf.runtime import Runtime
from flipshelf.settings import Settings
from tests.conftest import Api, make_settings
from tests.dashboard.conftest import Browser
from tests.support import Tenant, seed_collection

MAX_BYTES = 300_000
PER_MONTH = 3


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    """Small limits, to reach them: 300 kB a file, three uploads a month."""
    return make_settings(
        tmp_path, database_url, max_upload_bytes=MAX_BYTES, uploads_per_month=PER_MONTH
    )


def upload(
    browser: Browser, path: str, name: str, data: bytes, script: bool = True, **fields: str
) -> Any:
    """What the page's script sends for one file (token in a header), or the bare form."""
    headers = {"x-csrf-token": browser.csrf, "accept": "application/json"} if script else {}
    form = fields if script else {"csrf": browser.csrf, **fields}
    return browser.client.post(
        path,
        data=form,
        files={"file": (name, data, "application/octet-stream")},
        headers=headers,
        follow_redirects=False,
    )


def collection_of(api: Api, collection_hash: str) -> dict[str, Any]:
    answer = api.get("collection.getCollection", collectionHash=collection_hash)
    assert answer["code"] == 20, answer
    data: dict[str, Any] = answer["data"]
    return data


def uploads_left(api: Api) -> int:
    left: int = api.get("user.getStats")["data"]["api_uploads_left"]
    return left


def test_dropped_pdfs_make_one_collection_the_api_sees(
    owner: Browser, api: Api, documents: dict[str, Path], queued: list[str]
) -> None:
    pdf = documents["text"].read_bytes()
    first = upload(
        owner, "/dashboard/new", "Spring catalogue.pdf", pdf, collectionStatus="unlisted"
    )
    assert first.status_code == 200, first.text
    created = first.json()
    collection_hash = created["collection"]
    assert created["url"] == f"/dashboard/c/{collection_hash}"
    assert created["processing"] is True
    assert [b["title"] for b in created["books"]] == ["Spring catalogue"]
    second = upload(owner, f"/dashboard/c/{collection_hash}/books", "Summer.pdf", pdf)
    assert second.status_code == 200, second.text
    seen = collection_of(api, collection_hash)
    assert seen["collectionStatus"] == "unlisted"
    assert seen["collectionTitle"] == "Spring catalogue"
    assert [i["flipbookTitle"] for i in seen["collectionItems"]] == ["Spring catalogue", "Summer"]
    assert queued == [i["flipbookHash"] for i in seen["collectionItems"]]  # both convert
    assert uploads_left(api) == PER_MONTH - 2  # the API's quota, charged the same


def test_a_refused_file_says_why_as_the_api_logs_it_and_stores_nothing(
    runtime: Runtime, owner: Browser, api: Api, documents: dict[str, Path], tmp_path: Path
) -> None:
    for fixture in ("not_a_pdf", "fake_pdf", "encrypted"):
        path = documents[fixture]
        with pytest.raises(FlipshelfError) as logged:
            runtime.ports.inspector.inspect(path, runtime.settings.max_pages)
        answer = upload(owner, "/dashboard/new", path.name, path.read_bytes())
        assert answer.status_code == 400, answer.text
        assert answer.json() == {"error": logged.value.detail}
    assert api.get("collection.getList")["data"]["collectionCount"] == 0
    assert uploads_left(api) == PER_MONTH
    staging = runtime.settings.data_dir / "staging"
    assert not staging.exists() or list(staging.iterdir()) == []


def test_a_file_over_the_byte_cap_is_refused_while_it_streams(
    runtime: Runtime, owner: Browser, api: Api
) -> None:
    answer = upload(owner, "/dashboard/new", "big.pdf", b"%PDF-1.4\n" + b"0" * MAX_BYTES)
    assert answer.status_code == 413
    assert answer.json() == {"error": f"upload over {MAX_BYTES} bytes"}
    assert api.get("collection.getList")["data"]["collectionCount"] == 0
    staging = runtime.settings.data_dir / "staging"
    assert not staging.exists() or list(staging.iterdir()) == []


def test_the_monthly_quota_is_the_apis(owner: Browser, documents: dict[str, Path]) -> None:
    pdf = documents["text"].read_bytes()
    for n in range(PER_MONTH):
        assert upload(owner, "/dashboard/new", f"{n}.pdf", pdf).status_code == 200
    refused = upload(owner, "/dashboard/new", "one more.pdf", pdf)
    assert refused.status_code == 403
    assert refused.json() == {"error": "monthly uploads used up"}


def test_a_file_address_goes_through_the_fetch_guard(owner: Browser, api: Api) -> None:
    answer = owner.client.post(
        "/dashboard/new",
        data={"csrf": owner.csrf, "fileUrl": "http://127.0.0.1:9/catalogue.pdf"},
        headers={"x-csrf-token": owner.csrf},
    )
    assert answer.status_code == 400
    assert "not allowed" in answer.json()["error"] or "refused" in answer.json()["error"]
    assert api.get("collection.getList")["data"]["collectionCount"] == 0


def test_without_script_the_form_goes_to_the_new_collection(
    owner: Browser, documents: dict[str, Path]
) -> None:
    answer = upload(
        owner, "/dashboard/new", "catalogue.pdf", documents["text"].read_bytes(), script=False
    )
    assert answer.status_code == 303
    page = owner.client.get(answer.headers["location"])
    assert page.status_code == 200 and "catalogue" in page.text
    refused = upload(owner, "/dashboard/new", "x.txt", b"plain text", script=False)
    assert refused.status_code == 400 and "That did not work" in refused.text


def test_a_file_name_full_of_markup_becomes_a_title_shown_as_text(
    owner: Browser, documents: dict[str, Path]
) -> None:
    name = "<img src=x onerror=alert(1)>.pdf"
    created = upload(owner, "/dashboard/new", name, documents["text"].read_bytes()).json()
    page = owner.get(created["url"]).text
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_settings_change_what_the_api_answers(
    runtime: Runtime, owner: Browser, api: Api, tenant: Tenant
) -> None:
    shelf = seed_collection(runtime, tenant)
    answer = owner.post(
        f"/dashboard/c/{shelf.hash}/settings",
        {
            "title": "Autumn",
            "description": "Line one\r\nline two",
            "collectionStatus": "private",
            "rtl": "true",
            "collectionWidth": "800",
            "collectionHeight": "600",
        },
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/dashboard/c/{shelf.hash}?done=saved"
    seen = collection_of(api, shelf.hash)
    assert seen["collectionTitle"] == "Autumn"
    assert seen["collectionDescription"] == "Line one\nline two"
    assert seen["collectionStatus"] == "private" and seen["rtl"] is True
    assert seen["settings"] == {"collectionWidth": "800", "collectionHeight": "600"}
    assert "Saved." in owner.get(answer.headers["location"]).text


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("title", "x" * 256, "title longer than 255 characters"),
        ("collectionStatus", "secret", "unknown collectionStatus"),
        ("collectionWidth", "0", "collectionWidth must be between 1 and 10000"),
        ("rtl", "maybe", "rtl must be true or false"),
    ],
)
def test_bad_settings_are_refused_with_the_apis_reason_and_nothing_changes(
    runtime: Runtime, owner: Browser, api: Api, tenant: Tenant, field: str, value: str, reason: str
) -> None:
    shelf = seed_collection(runtime, tenant, title="Kept")
    form = {"title": "New", field: value}  # a bad field keeps the good ones from saving too
    answer = owner.post(f"/dashboard/c/{shelf.hash}/settings", form)
    assert answer.status_code == 400 and reason in answer.text
    assert collection_of(api, shelf.hash)["collectionTitle"] == "Kept"


def test_settings_wait_while_a_book_converts(
    runtime: Runtime, owner: Browser, tenant: Tenant
) -> None:
    shelf = seed_collection(runtime, tenant, items=(ConvertStatus.PROCESSING,))
    answer = owner.post(f"/dashboard/c/{shelf.hash}/settings", {"title": "Too soon"})
    assert answer.status_code == 409 and "converting" in answer.text


def test_books_move_and_go_but_the_last_one_stays(
    runtime: Runtime, owner: Browser, api: Api, tenant: Tenant
) -> None:
    shelf = seed_collection(runtime, tenant, items=(ConvertStatus.COMPLETE,) * 3)
    a, b, c = (item.hash for item in shelf.items)
    here = f"/dashboard/c/{shelf.hash}"
    assert owner.post(f"{here}/books/{c}/move", {"direction": "up"}).status_code == 303

    def order() -> list[str]:
        return [i["flipbookHash"] for i in collection_of(api, shelf.hash)["collectionItems"]]

    assert order() == [a, c, b]
    assert owner.post(f"{here}/books/{a}/move", {"direction": "down"}).status_code == 303
    assert order() == [c, a, b]
    assert owner.post(f"{here}/books/{a}/move", {"direction": "sideways"}).status_code == 400
    assert owner.post(f"{here}/books/{a}/delete").status_code == 303
    assert owner.post(f"{here}/books/{b}/delete").status_code == 303
    last = owner.post(f"{here}/books/{c}/delete")
    assert last.status_code == 400 and "last flipbook" in last.text
    assert order() == [c]


def png(size: tuple[int, int] = (120, 60)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_a_logo_and_a_background_are_set_shown_and_removed(
    runtime: Runtime, owner: Browser, api: Api, tenant: Tenant
) -> None:
    shelf = seed_collection(runtime, tenant, status=CollectionStatus.EDITABLE)
    here = f"/dashboard/c/{shelf.hash}"
    for role, field in (("logo", "logoUrl"), ("background", "backgroundImageUrl")):
        answer = upload(owner, f"{here}/image/{role}", f"{role}.png", png(), script=False)
        assert answer.status_code == 303, answer.text
        assert collection_of(api, shelf.hash)[field] is not None
        shown = owner.get(f"{here}/image/{role}")  # the owner sees it even on a draft
        assert shown.status_code == 200 and shown.content.startswith(b"\x89PNG")
        assert owner.post(f"{here}/image/{role}/delete").status_code == 303
        assert collection_of(api, shelf.hash)[field] is None
        assert owner.get(f"{here}/image/{role}").status_code == 404
    refused = upload(owner, f"{here}/image/logo", "logo.png", b"not an image")
    assert refused.status_code == 400 and refused.json()["error"]
    assert owner.get(f"{here}/image/thumbnail").status_code == 404


def test_deleting_needs_the_box_ticked(
    runtime: Runtime, owner: Browser, api: Api, tenant: Tenant
) -> None:
    shelf = seed_collection(runtime, tenant)
    kept = owner.post(f"/dashboard/c/{shelf.hash}/delete")
    assert kept.status_code == 400 and "tick the box" in kept.text
    assert collection_of(api, shelf.hash)["collectionHash"] == shelf.hash
    gone = owner.post(f"/dashboard/c/{shelf.hash}/delete", {"confirm": "yes"})
    assert gone.headers["location"] == "/dashboard/?done=deleted"
    assert api.get("collection.getCollection", collectionHash=shelf.hash)["code"] == 43
    assert owner.get(f"/dashboard/c/{shelf.hash}").status_code == 404


def test_hundreds_of_collections_page_and_search(
    runtime: Runtime, owner: Browser, tenant: Tenant
) -> None:
    for n in range(30):
        seed_collection(runtime, tenant, title=f"Catalogue {n:02d}", description="spring" * (n % 2))
    first = owner.get("/dashboard/")
    assert first.text.count('class="ds-tile"') == 24 and "Page 1 of 2" in first.text
    second = owner.get("/dashboard/?page=2")
    assert second.text.count('class="ds-tile"') == 6 and "Catalogue 00" in second.text
    found = owner.get("/dashboard/?q=SPRING")
    assert found.text.count('class="ds-tile"') == 15
    assert owner.get("/dashboard/?q=Catalogue%2007").text.count('class="ds-tile"') == 1
    assert owner.get("/dashboard/?status=private").text.count('class="ds-tile"') == 0
    assert owner.get("/dashboard/?page=0").status_code == 400
    assert owner.get("/dashboard/?status=secret").status_code == 400


def test_progress_says_which_books_convert(
    runtime: Runtime, owner: Browser, tenant: Tenant
) -> None:
    busy = seed_collection(
        runtime, tenant, items=(ConvertStatus.COMPLETE, ConvertStatus.PROCESSING)
    )
    done = seed_collection(runtime, tenant)
    one = owner.get(f"/dashboard/c/{busy.hash}/status.json").json()
    assert one["processing"] is True
    assert [b["status"] for b in one["books"]] == ["COMPLETE", "PROCESSING"]
    many = owner.get(f"/dashboard/status.json?c={busy.hash}&c={done.hash}").json()
    assert many["collections"][done.hash]["processing"] is False
    assert owner.get("/dashboard/status.json").status_code == 400
