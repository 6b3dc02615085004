"""The wire protocol through the real ASGI app: routes, formats, the order of checks."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from flipshelf.api.v1.signature import sign
from flipshelf.app import create_app
from flipshelf.runtime import Runtime, build_runtime
from flipshelf.services import accounts
from tests.conftest import make_settings
from tests.support import Tenant, seed_collection, signed


def test_both_paths_answer(client: TestClient, tenant: Tenant, runtime: Runtime) -> None:
    collection = seed_collection(runtime, tenant)
    for path in ("/v1/", "/v1"):
        params = signed(tenant.pair, "collection.getCollection", collectionHash=collection.hash)
        body = client.get(path, params=params).json()
        assert body["code"] == 20, path
        assert body["data"]["collectionHash"] == collection.hash


def test_missing_mandatory_parameters_answer_30(client: TestClient, tenant: Tenant) -> None:
    full = signed(tenant.pair, "user.getStats")
    for missing in ("apiKey", "signature", "action"):
        params = {k: v for k, v in full.items() if k != missing}
        assert client.get("/v1/", params=params).json() == {
            "code": 30,
            "status": "Missing mandatory parameter",
        }


def test_unknown_key_answers_41_before_unknown_action(client: TestClient) -> None:
    params = {"apiKey": "NOPE", "action": "no.such", "signature": "0" * 32}
    assert client.get("/v1/", params=params).json()["code"] == 41


def test_revoked_key_answers_41(client: TestClient, tenant: Tenant, runtime: Runtime) -> None:
    accounts.revoke(runtime.ports, tenant.pair.api_key)
    assert client.get("/v1/", params=signed(tenant.pair, "user.getStats")).json()["code"] == 41


def test_rotated_secret_replaces_the_old_one(
    client: TestClient, tenant: Tenant, runtime: Runtime
) -> None:
    new_pair = accounts.rotate_secret(runtime.ports, runtime.box, tenant.pair.api_key)
    assert client.get("/v1/", params=signed(tenant.pair, "user.getStats")).json()["code"] == 44
    assert client.get("/v1/", params=signed(new_pair, "user.getStats")).json()["code"] == 20


def test_unknown_action_answers_42(client: TestClient, tenant: Tenant) -> None:
    assert client.get("/v1/", params=signed(tenant.pair, "collection.explode")).json()["code"] == 42


def test_bad_signature_answers_44(client: TestClient, tenant: Tenant) -> None:
    params = signed(tenant.pair, "user.getStats")
    params["signature"] = "f" * 32
    assert client.get("/v1/", params=params).json() == {"code": 44, "status": "Invalid signature"}


def test_signature_covers_extra_parameters(client: TestClient, tenant: Tenant) -> None:
    params = signed(tenant.pair, "user.getStats")
    params["unknownExtra"] = "1"
    assert client.get("/v1/", params=params).json()["code"] == 44
    params = signed(tenant.pair, "user.getStats", unknownExtra="1")
    assert client.get("/v1/", params=params).json()["code"] == 20


def test_uppercase_signature_is_accepted(client: TestClient, tenant: Tenant) -> None:
    params = signed(tenant.pair, "user.getStats")
    params["signature"] = params["signature"].upper()
    assert client.get("/v1/", params=params).json()["code"] == 20


def test_maintenance_answers_22_before_anything(tmp_path: Path, database_url: str) -> None:
    from flipshelf.db.migrate import upgrade

    settings = make_settings(tmp_path, database_url, maintenance=True)
    upgrade(settings.resolved_database_url())
    runtime = build_runtime(settings)
    with TestClient(create_app(runtime)) as client:
        assert client.get("/v1/").json() == {"code": 22, "status": "Maintenance mode"}
    runtime.db.dispose()


def test_duplicate_parameter_answers_40(client: TestClient, tenant: Tenant) -> None:
    params = signed(tenant.pair, "user.getStats")
    query = "&".join(f"{k}={v}" for k, v in params.items()) + "&format=json&format=xml"
    assert client.get(f"/v1/?{query}").json()["code"] == 40


def test_parameter_in_query_and_body_answers_40(client: TestClient, runtime: Runtime) -> None:
    from tests.support import new_tenant

    tenant = new_tenant(runtime)
    params = signed(tenant.pair, "collection.create")
    response = client.post(
        "/v1/",
        params={"apiKey": tenant.pair.api_key},
        files={"file": ("a.pdf", b"%PDF-")},
        data=params,
    )
    assert response.json()["code"] == 40


@pytest.mark.parametrize("value", ["%80%00", "%C3", "a%00b", "x%1by"])
def test_invalid_utf8_or_control_characters_answer_40(
    client: TestClient, tenant: Tenant, value: str
) -> None:
    params = signed(tenant.pair, "user.getStats")
    query = "&".join(f"{k}={v}" for k, v in params.items()) + f"&title={value}"
    assert client.get(f"/v1/?{query}").json()["code"] == 40


def test_tab_and_newline_are_allowed(client: TestClient, tenant: Tenant, runtime: Runtime) -> None:
    collection = seed_collection(runtime, tenant)
    params = signed(
        tenant.pair, "collection.update", collectionHash=collection.hash, description="a\tb\nc"
    )
    body = client.get("/v1/", params=params).json()
    assert body["code"] == 20
    assert body["data"]["collectionDescription"] == "a\tb\nc"


def test_upload_action_by_get_answers_40(client: TestClient, tenant: Tenant) -> None:
    for action in (
        "collection.create",
        "flipbook.add",
        "collection.setLogo",
        "collection.setBackgroundImage",
    ):
        assert client.get("/v1/", params=signed(tenant.pair, action)).json()["code"] == 40


def test_strict_verbs_refuse_post_to_non_upload_actions_with_40(
    tmp_path: Path, database_url: str
) -> None:
    from flipshelf.db.migrate import upgrade
    from tests.support import new_tenant

    settings = make_settings(tmp_path, database_url, lenient_verbs=False)
    upgrade(settings.resolved_database_url())
    runtime = build_runtime(settings)
    tenant = new_tenant(runtime)
    with TestClient(create_app(runtime)) as client:
        params = signed(tenant.pair, "user.getStats")
        assert client.post("/v1/", data=params).json()["code"] == 40
        multipart = client.post("/v1/", files={k: (None, v) for k, v in params.items()})
        assert multipart.json()["code"] == 40
    runtime.db.dispose()


def test_post_bodies_are_accepted_for_every_action_by_default(
    client: TestClient, tenant: Tenant
) -> None:
    params = signed(tenant.pair, "user.getStats")
    assert client.post("/v1/", data=params).json()["code"] == 20
    multipart = client.post("/v1/", files={k: (None, v) for k, v in params.items()})
    assert multipart.json()["code"] == 20
    assert client.put("/v1/", params=params).json()["code"] == 40
    with_a_file = client.post("/v1/", data=params, files={"other": ("x.txt", b"x")})
    assert with_a_file.json()["code"] == 40


def test_xml_format(client: TestClient, tenant: Tenant, runtime: Runtime) -> None:
    collection = seed_collection(runtime, tenant, title="Fish & <chips>")
    params = signed(
        tenant.pair, "collection.getCollection", collectionHash=collection.hash, format="xml"
    )
    response = client.get("/v1/", params=params)
    assert response.headers["content-type"] == "application/xml; charset=utf-8"
    assert response.text.startswith('<?xml version="1.0" encoding="utf-8"?>\n<response>')
    root = ET.fromstring(response.content)
    assert root.findtext("code") == "20"
    assert root.findtext("data/collectionTitle") == "Fish & <chips>"
    items = root.find("data/collectionItems")
    assert items is not None and [i.tag for i in items] == ["collectionItem"]
    assert root.findtext("data/settings/collectionWidth") == "650"


def test_errors_are_answered_in_the_requested_format(client: TestClient, tenant: Tenant) -> None:
    params = signed(tenant.pair, "collection.explode", format="xml")
    root = ET.fromstring(client.get("/v1/", params=params).content)
    assert root.findtext("code") == "42" and root.find("data") is None


def test_jsonp_format(client: TestClient, tenant: Tenant) -> None:
    params = signed(tenant.pair, "user.getStats", format="jsonp", callback="my.cb")
    response = client.get("/v1/", params=params)
    assert response.headers["content-type"].startswith("application/javascript")
    assert response.headers["x-content-type-options"] == "nosniff"
    match = re.fullmatch(r"/\*\*/my\.cb\((.*)\);", response.text, re.S)
    assert match and json.loads(match.group(1))["code"] == 20


def test_jsonp_without_callback_answers_30_and_bad_callback_40(
    client: TestClient, tenant: Tenant
) -> None:
    params = signed(tenant.pair, "user.getStats", format="jsonp")
    assert client.get("/v1/", params=params).json()["code"] == 30
    params = signed(tenant.pair, "user.getStats", format="jsonp", callback="alert(1)")
    response = client.get("/v1/", params=params)
    assert response.json()["code"] == 40  # answered in JSON: the callback is unusable


def test_unknown_format_answers_40(client: TestClient, tenant: Tenant) -> None:
    params = signed(tenant.pair, "user.getStats", format="yaml")
    assert client.get("/v1/", params=params).json()["code"] == 40


def test_json_content_type(client: TestClient, tenant: Tenant) -> None:
    response = client.get("/v1/", params=signed(tenant.pair, "user.getStats"))
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert response.headers["x-request-id"]


def test_unexpected_error_answers_50_without_a_trace(
    client: TestClient,
    tenant: Tenant,
    runtime: Runtime,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def explode(*_args: object) -> object:
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(runtime.ports.quota, "used", explode)
    response = client.get("/v1/", params=signed(tenant.pair, "user.getStats"))
    assert response.status_code == 200
    assert response.json() == {"code": 50, "status": "Internal error"}
    assert "secret internal detail" not in response.text
    logged = capsys.readouterr()
    assert response.headers["x-request-id"] in logged.out + logged.err


def test_strict_mode_refuses_replays(client: TestClient, tenant: Tenant, runtime: Runtime) -> None:
    runtime.ports.accounts.set_strict(tenant.pair.api_key, True)
    now = int(runtime.ports.clock.now().timestamp())
    assert client.get("/v1/", params=signed(tenant.pair, "user.getStats")).json()["code"] == 44
    params = signed(tenant.pair, "user.getStats", timestamp=now, nonce="n-1")
    assert client.get("/v1/", params=params).json()["code"] == 20
    assert client.get("/v1/", params=params).json()["code"] == 44
    stale = signed(tenant.pair, "user.getStats", timestamp=now - 301, nonce="n-2")
    assert client.get("/v1/", params=stale).json()["code"] == 44


def test_md5_length_extension_forgery_is_refused(client: TestClient, tenant: Tenant) -> None:
    # A forged extension needs the MD5 padding (\x80, NULs) inside a value.
    params = signed(tenant.pair, "user.getStats")
    query = "&".join(f"{k}={v}" for k, v in params.items()) + "&zz=%80%00%00%00"
    forged = sign(tenant.pair.secret, params)  # not the real attack, but the bytes are refused
    assert client.get(f"/v1/?{query}&sig2={forged}").json()["code"] == 40


def test_other_verbs_answer_40_in_the_envelope(client: TestClient, tenant: Tenant) -> None:
    params = signed(tenant.pair, "user.getStats")
    for method in ("PUT", "DELETE", "PATCH"):
        response = client.request(method, "/v1/", params=params)
        assert response.status_code == 200
        assert response.json()["code"] == 40, method
