"""Outages are not crashes: with PostgreSQL, Redis or S3 stopped, `/readyz` names it and API calls
answer 22 (never 50); once it is started again the first call succeeds and nothing acknowledged
is gone. The services are private (tests/outages/conftest.py) and really stopped and started."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from flipshelf.app import create_app
from flipshelf.db.migrate import upgrade
from flipshelf.runtime import Runtime, build_runtime
from tests.api.test_uploads import upload
from tests.conftest import make_settings
from tests.outages.conftest import PrivateServices
from tests.support import Tenant, new_tenant, seed_collection, signed

pytestmark = pytest.mark.xdist_group("outages")

RECOVERY_SECONDS = 60.0


@pytest.fixture
def served(
    private_services: PrivateServices, tmp_path: Path
) -> Iterator[tuple[Runtime, TestClient, Tenant]]:
    env = private_services.env
    s3 = env["FLIPSHELF_TEST_S3_URL"].replace("/tests?", f"/{uuid.uuid4().hex}?")
    settings = make_settings(
        tmp_path,
        env["FLIPSHELF_TEST_POSTGRES_URL"],
        jobs_url=env["FLIPSHELF_TEST_REDIS_URL"],
        rate_limit_storage=env["FLIPSHELF_TEST_REDIS_URL"],
        storage_url=s3,
        s3_access_key_id="testing",
        s3_secret_access_key="testing",
    )
    upgrade(settings.resolved_database_url())
    runtime = build_runtime(settings)
    try:
        with TestClient(create_app(runtime), raise_server_exceptions=False) as client:
            yield runtime, client, new_tenant(runtime, f"outage-{uuid.uuid4().hex[:6]}")
    finally:
        runtime.db.dispose()


def _list(client: TestClient, tenant: Tenant) -> dict[str, Any]:
    answer: dict[str, Any] = client.get(
        "/v1/", params=signed(tenant.pair, "collection.getList")
    ).json()
    return answer


def _ready(client: TestClient) -> tuple[int, dict[str, Any]]:
    response = client.get("/readyz")
    body: dict[str, Any] = response.json()
    return response.status_code, body


def _eventually(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + RECOVERY_SECONDS
    while not check():
        assert time.monotonic() < deadline, f"gave up waiting: {what}"
        time.sleep(0.2)


def test_healthz_answers_without_asking_any_dependency(
    served: tuple[Runtime, TestClient, Tenant], private_services: PrivateServices
) -> None:
    _runtime, client, _tenant = served
    assert _ready(client)[0] == 200
    private_services.stop("postgres")
    try:
        response = client.get("/healthz")
        assert (response.status_code, response.json()) == (200, {"alive": True})
    finally:
        private_services.start("postgres")


def test_postgres_stopped_answers_22_and_the_first_call_after_its_restart_succeeds(
    served: tuple[Runtime, TestClient, Tenant], private_services: PrivateServices
) -> None:
    _runtime, client, tenant = served
    assert _list(client, tenant)["code"] == 20  # a pooled connection exists before the stop
    private_services.stop("postgres")
    try:
        status, body = _ready(client)
        assert status == 503 and body["failed"] == ["database"], body
        down = _list(client, tenant)
        assert (down["code"], down["reason"]) == (22, "temporarily unavailable, retry shortly")
    finally:
        private_services.start("postgres")
    assert _list(client, tenant)["code"] == 20  # the first call: no stale connection served
    assert _ready(client)[0] == 200


def test_reader_pages_answer_503_with_retry_after_while_postgres_is_down(
    served: tuple[Runtime, TestClient, Tenant], private_services: PrivateServices
) -> None:
    runtime, client, tenant = served
    collection = seed_collection(runtime, tenant)
    page = f"/c/{collection.hash}"
    assert client.get(page).status_code == 200
    private_services.stop("postgres")
    try:
        for path in (page, f"/widget/{collection.hash}", "/dashboard/"):
            answer = client.get(path, follow_redirects=False)
            assert answer.status_code != 500, (path, answer.text)
        down = client.get(page)
        assert down.status_code == 503 and down.headers["retry-after"] == "5", down.text
    finally:
        private_services.start("postgres")
    _eventually(lambda: client.get(page).status_code == 200, "the page after the restart")


def test_redis_stopped_answers_22_and_the_first_call_after_its_restart_succeeds(
    served: tuple[Runtime, TestClient, Tenant], private_services: PrivateServices
) -> None:
    _runtime, client, tenant = served
    assert _list(client, tenant)["code"] == 20  # the rate limiter holds a pooled connection
    private_services.stop("redis")
    try:
        status, body = _ready(client)
        assert status == 503 and set(body["failed"]) == {"queue", "rate_limits"}, body
        assert _list(client, tenant)["code"] == 22
    finally:
        private_services.start("redis")
    assert _list(client, tenant)["code"] == 20  # the stale pooled connection is retried
    assert _ready(client)[0] == 200


def test_s3_stopped_answers_22_to_an_upload_and_recovers(
    served: tuple[Runtime, TestClient, Tenant],
    private_services: PrivateServices,
    documents: dict[str, Path],
) -> None:
    _runtime, client, tenant = served
    pdf = documents["text"].read_bytes()
    created = upload(client, tenant, "collection.create", pdf)
    assert created["code"] == 20, created
    private_services.stop("s3")
    try:
        status, body = _ready(client)
        assert status == 503 and body["failed"] == ["storage"], body
        refused = upload(client, tenant, "collection.create", pdf)
        assert refused["code"] == 22, refused
        assert _list(client, tenant)["code"] == 20  # what does not need the store still works
    finally:
        private_services.start("s3")
    _eventually(lambda: _ready(client)[0] == 200, "storage ready again")
    again = upload(client, tenant, "collection.create", pdf)
    assert again["code"] == 20, again
    # Every acknowledged create is listed: the refused one was never acknowledged.
    hashes = {item["collectionHash"] for item in _list(client, tenant)["data"]["collections"]}
    assert {created["data"]["collectionHash"], again["data"]["collectionHash"]} <= hashes  # type: ignore[index]
