"""HMAC-SHA256 signing (issue 11): any key may use it, `accounts create --strict` keys must, and a
captured call cannot be re-split under it as it can under MD5."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from flipshelf.runtime import Runtime
from flipshelf.services import accounts
from tests.api.test_uploads import BOUNDARY, multipart
from tests.support import Tenant, hmac_signed, seed_collection, signed


def now_of(runtime: Runtime) -> int:
    return int(runtime.ports.clock.now().timestamp())


def nonce() -> str:
    return secrets.token_urlsafe(24)


def call(client: TestClient, params: dict[str, str]) -> dict[str, Any]:
    answer: dict[str, Any] = client.get("/v1/", params=params).json()
    return answer


@pytest.fixture
def hmac_tenant(runtime: Runtime) -> Tenant:
    account, pair = accounts.create(runtime.ports, runtime.box, "hmac only", hmac_only=True)
    return Tenant(account, pair)


def test_any_key_may_sign_with_hmac(client: TestClient, tenant: Tenant, runtime: Runtime) -> None:
    params = hmac_signed(tenant.pair, "user.getStats", now_of(runtime), nonce())
    assert call(client, params)["code"] == 20
    # A value with every awkward character signs and verifies.
    awkward = "Frühling & Co/2025 ~50% +1 = a&b"
    params = hmac_signed(tenant.pair, "collection.getList", now_of(runtime), nonce(), query=awkward)
    assert call(client, params)["code"] == 20
    assert client.post("/v1/", data=params).json()["code"] == 44  # the nonce is spent


def test_hmac_calls_need_a_fresh_timestamp_and_an_unused_well_formed_nonce(
    client: TestClient, tenant: Tenant, runtime: Runtime
) -> None:
    now = now_of(runtime)
    once = hmac_signed(tenant.pair, "user.getStats", now, nonce())
    assert call(client, once)["code"] == 20
    assert call(client, once)["code"] == 44  # replayed
    for stamp, chosen in (
        (now - 301, nonce()),  # stale
        (now + 301, nonce()),  # from the future
        (now, "short-nonce"),  # under 16 characters
        (now, "x" * 65),  # over 64
        (now, "with spaces and $ signs!"),  # outside [A-Za-z0-9_-]
    ):
        assert call(client, hmac_signed(tenant.pair, "user.getStats", stamp, chosen))["code"] == 44
    missing = hmac_signed(tenant.pair, "user.getStats", now, nonce())
    del missing["timestamp"]
    assert call(client, missing)["code"] == 44


def test_a_wrong_hmac_signature_or_another_secret_is_refused(
    client: TestClient, tenant: Tenant, runtime: Runtime
) -> None:
    params = hmac_signed(tenant.pair, "user.getStats", now_of(runtime), nonce())
    assert call(client, {**params, "signature": "0" * 64})["code"] == 44
    # The MD5 of the same parameters is no HMAC signature.
    md5 = signed(tenant.pair, "user.getStats", signatureMethod="HMAC-SHA256", nonce=nonce(),
                 timestamp=now_of(runtime))  # fmt: skip
    assert call(client, md5)["code"] == 44
    upper = hmac_signed(tenant.pair, "user.getStats", now_of(runtime), nonce())
    upper["signature"] = upper["signature"].upper()
    assert call(client, upper)["code"] == 20


def test_an_unknown_signature_method_answers_40(
    client: TestClient, tenant: Tenant, runtime: Runtime
) -> None:
    params = signed(tenant.pair, "user.getStats", signatureMethod="HMAC-SHA1")
    assert call(client, params)["code"] == 40


def resplit(captured: dict[str, str]) -> dict[str, str]:
    """`description=x&title=T` sent again as `description=xtitleT`, the signature kept."""
    again = {k: v for k, v in captured.items() if k != "title"}
    again["description"] = captured["description"] + "title" + captured["title"]
    return again


def test_the_resplit_of_a_captured_call_works_under_md5_and_is_refused_under_hmac(
    client: TestClient, tenant: Tenant, hmac_tenant: Tenant, runtime: Runtime
) -> None:
    """A captured `update(description=x, title=T)` replayed as `description=xtitleT` with the
    same signature: MD5 signs both alike (inherent to v1 signing); HMAC does not."""
    md5_book = seed_collection(runtime, tenant, title="Before")
    captured = signed(
        tenant.pair, "collection.update", collectionHash=md5_book.hash, description="x", title="T"
    )
    assert call(client, resplit(captured))["code"] == 20  # the attack, on an MD5 key
    found = runtime.ports.collections.get(md5_book.hash)
    assert found is not None and (found.title, found.description) == ("Before", "xtitleT")

    for owner in (tenant, hmac_tenant):
        book = seed_collection(runtime, owner, title="Before")
        captured = hmac_signed(
            owner.pair, "collection.update", now_of(runtime), nonce(),
            collectionHash=book.hash, description="x", title="T",
        )  # fmt: skip
        assert call(client, resplit(captured))["code"] == 44
        found = runtime.ports.collections.get(book.hash)
        assert found is not None and (found.title, found.description) == ("Before", "")
        # The captured call itself still works, once.
        assert call(client, captured)["code"] == 20
        assert call(client, captured)["code"] == 44

    # An HMAC-only key takes no MD5 signature, so its MD5 calls cannot be re-split either.
    book = seed_collection(runtime, hmac_tenant, title="Before")
    captured = signed(
        hmac_tenant.pair, "collection.update", collectionHash=book.hash, description="x", title="T"
    )
    assert call(client, resplit(captured))["code"] == 44


def test_an_hmac_only_key_refuses_md5_signatures_even_correct_ones(
    client: TestClient, hmac_tenant: Tenant, runtime: Runtime
) -> None:
    assert call(client, signed(hmac_tenant.pair, "user.getStats"))["code"] == 44
    strict_md5 = signed(hmac_tenant.pair, "user.getStats", timestamp=now_of(runtime), nonce=nonce())
    assert call(client, strict_md5)["code"] == 44
    good = hmac_signed(hmac_tenant.pair, "user.getStats", now_of(runtime), nonce())
    assert call(client, good)["code"] == 20


def test_an_upload_signs_its_fields_with_hmac_and_not_the_file(
    client: TestClient, hmac_tenant: Tenant, runtime: Runtime, documents: dict[str, Path]
) -> None:
    fields = hmac_signed(hmac_tenant.pair, "collection.create", now_of(runtime), nonce(), title="T")
    body = multipart(list(fields.items()), [("file", "a.pdf", documents["text"].read_bytes())])
    headers = {"content-type": f"multipart/form-data; boundary={BOUNDARY}"}
    answer = client.post("/v1/", content=body, headers=headers).json()
    assert answer["code"] == 20, answer
    assert answer["data"]["collectionTitle"] == "T"


def test_the_python_recipe_in_the_api_docs_signs_calls_the_server_accepts(
    client: TestClient, tenant: Tenant, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text(encoding="utf-8")
    section = doc[doc.index("### HMAC signing") :]
    start = section.index("```python\n") + len("```python\n")
    recipe = section[start : section.index("\n```", start)]
    # Its clock must agree with the server's test clock; its HTTP goes to the test client.
    monkeypatch.setattr("time.time", lambda: float(now_of(runtime)))

    class Http:
        @staticmethod
        def get(url: str, params: dict[str, str]) -> Any:
            assert url == "http://127.0.0.1:8000/v1/"
            return client.get("/v1/", params=params)

    namespace: dict[str, Any] = {"KEY": tenant.pair.api_key, "SECRET": tenant.pair.secret}
    exec(compile(recipe, "docs/api.md", "exec"), namespace)
    namespace["httpx"] = Http
    answer = namespace["call"]("collection.getList", query="Frühling & Co/2025 ~50% +1")
    assert answer["code"] == 20, answer
