"""`/metrics` through the app on every database: off without a token, refused without the right
one, and when open, calls counted by action and code, the queue read from the database, and no
client-sent text ever a label."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import update
from sqlalchemy.exc import OperationalError
from starlette.testclient import TestClient

from flipshelf.app import create_app
from flipshelf.db.schema import flipbooks
from flipshelf.domain.collections import ConvertStatus
from flipshelf.metrics import JobCollector, action_label
from flipshelf.runtime import Runtime
from tests.support import Tenant, seed_collection, signed

TOKEN = "a-metrics-token-of-32-characters"


@pytest.fixture
def scraped(runtime: Runtime) -> Iterator[TestClient]:
    opened = replace(runtime, settings=runtime.settings.model_copy(update={"metrics_token": TOKEN}))
    with TestClient(create_app(opened)) as client:
        yield client


def samples(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    answer = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain")
    found = {}
    for family in text_string_to_metric_families(answer.text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def test_without_a_token_setting_there_is_no_metrics_page(client: TestClient) -> None:
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer x" * 5}).status_code == 404


@pytest.mark.parametrize("header", [None, "Bearer wrong-token-of-enough-length", f"Basic {TOKEN}"])
def test_a_missing_or_wrong_token_is_refused_alike(scraped: TestClient, header: str | None) -> None:
    answer = scraped.get("/metrics", headers={"Authorization": header} if header else {})
    assert answer.status_code == 401
    assert answer.text == "Unauthorized" and "flipshelf" not in answer.text


def test_calls_are_counted_and_timed_by_action_and_code(
    scraped: TestClient, tenant: Tenant
) -> None:
    for _ in range(3):
        assert scraped.get("/v1/", params=signed(tenant.pair, "user.getStats")).json()["code"] == 20
    bad = signed(tenant.pair, "user.getStats")
    bad["signature"] = "0" * 32
    refused = scraped.get("/v1/", params=bad).json()["code"]
    assert refused != 20
    found = samples(scraped)
    ok = (("action", "user.getStats"), ("code", "20"))
    assert found[("flipshelf_api_requests_total", ok)] == 3
    assert found[("flipshelf_api_request_seconds_count", ok)] == 3
    assert found[("flipshelf_api_request_seconds_sum", ok)] > 0
    wrong = (("action", "user.getStats"), ("code", str(refused)))
    assert found[("flipshelf_api_requests_total", wrong)] == 1


def test_client_text_never_becomes_a_label(scraped: TestClient, tenant: Tenant) -> None:
    sneaky = 'x"} 1\nflipshelf_owned{a="'
    scraped.get("/v1/", params=signed(tenant.pair, sneaky))
    scraped.get("/v1/", params={"apiKey": tenant.pair.api_key})  # no action at all
    found = samples(scraped)
    actions = {dict(labels).get("action") for name, labels in found if "api_request" in name}
    assert "unknown" in actions and "none" in actions
    assert not any("owned" in name or (sneaky in str(labels)) for name, labels in found)
    assert action_label(sneaky, frozenset({"user.getStats"})) == "unknown"


def test_the_queue_is_read_from_the_database(
    scraped: TestClient, runtime: Runtime, tenant: Tenant
) -> None:
    states = (ConvertStatus.PROCESSING, ConvertStatus.FAILED, ConvertStatus.COMPLETE)
    collection = seed_collection(runtime, tenant, items=states)
    waiting = collection.items[0].hash
    now = runtime.ports.clock.now()
    with runtime.db.write() as conn:
        conn.execute(
            update(flipbooks)
            .where(flipbooks.c.hash == waiting)
            .values(queued_at=now - timedelta(minutes=10))
        )
    found = samples(scraped)
    assert found[("flipshelf_metrics_database_up", ())] == 1
    job = "flipshelf_jobs"
    assert found[(job, (("kind", "conversion"), ("state", "waiting")))] == 1
    assert found[(job, (("kind", "conversion"), ("state", "failed")))] == 1
    assert found[(job, (("kind", "package"), ("state", "waiting")))] == 0
    oldest = found[("flipshelf_job_oldest_waiting_seconds", (("kind", "conversion"),))]
    assert oldest >= 600
    assert found[("flipshelf_pages_converted_total", ())] == 12  # the COMPLETE book's pages


class _DownDatabase:
    """A database that cannot be reached: every read raises, as SQLAlchemy does then."""

    def read(self) -> object:
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))


def test_a_database_outage_still_answers_and_says_so() -> None:
    registry = CollectorRegistry()
    registry.register(JobCollector(_DownDatabase()))  # type: ignore[arg-type]
    found = {
        sample.name: sample.value
        for family in text_string_to_metric_families(generate_latest(registry).decode())
        for sample in family.samples
    }
    assert found == {"flipshelf_metrics_database_up": 0}


def test_a_title_sent_in_a_call_never_reaches_the_page(
    scraped: TestClient, runtime: Runtime, tenant: Tenant
) -> None:
    collection = seed_collection(runtime, tenant)
    title = "zz-title-for-metrics"
    params = signed(tenant.pair, "collection.update", collectionHash=collection.hash, title=title)
    assert scraped.get("/v1/", params=params).json()["code"] == 20
    assert scraped.get(f"/v1/{title}", params=signed(tenant.pair, title)).status_code < 500
    page = scraped.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).text
    assert title not in page and collection.hash not in page
    assert 'action="collection.update",code="20"' in page


def test_pages_are_counted_by_route_template_never_by_path(
    scraped: TestClient, runtime: Runtime, tenant: Tenant
) -> None:
    collection = seed_collection(runtime, tenant)
    assert scraped.get(f"/c/{collection.hash}").status_code == 200
    assert scraped.get("/dashboard/login").status_code == 200
    assert scraped.get(f"/nowhere/{collection.hash}").status_code == 404
    found = samples(scraped)

    def get(name: str, route: str, status: int) -> float:
        return found[(name, (("method", "GET"), ("route", route), ("status", str(status))))]

    count = "flipshelf_http_requests_total"
    assert get(count, "/c/{collection}", 200) == 1
    assert get(count, "/dashboard/login", 200) == 1
    assert get(count, "unmatched", 404) == 1
    assert get("flipshelf_http_request_seconds_count", "/c/{collection}", 200) == 1
    routes = {dict(labels).get("route") for name, labels in found if "http_request" in name}
    assert not any(collection.hash in str(route) for route in routes)
