"""`/metrics` on the installed `flipshelf serve`, as Prometheus scrapes it: the token set in the
environment, a signed call counted, the queue's figures present, nothing wrong in the log."""

from __future__ import annotations

from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.served import call, serving, trouble

TOKEN = "e2e-metrics-token-0123456789"


def test_prometheus_scrapes_the_running_server(tmp_path: Path) -> None:
    with serving(tmp_path / "data", metrics_token=TOKEN) as server:
        api_key, secret = server.key_pair()  # printed before "listening on"
        base = server.wait_until_serving()
        assert call(base, api_key, secret, "user.getStats")["code"] == 20
        root = base.removesuffix("/v1/")
        refused = httpx.get(f"{root}/metrics", timeout=10, trust_env=False)
        assert refused.status_code == 401
        scraped = httpx.get(
            f"{root}/metrics",
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=10,
            trust_env=False,
        )
        assert scraped.status_code == 200
        samples = {
            (sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(scraped.text)
            for sample in family.samples
        }
        counted = ("flipshelf_api_requests_total", (("action", "user.getStats"), ("code", "20")))
        assert samples[counted] == 1
        assert samples[("flipshelf_metrics_database_up", ())] == 1
        assert ("flipshelf_jobs", (("kind", "conversion"), ("state", "waiting"))) in samples
        # The refused scrape itself, counted by its route.
        refused_scrape = (("method", "GET"), ("route", "/metrics"), ("status", "401"))
        assert samples[("flipshelf_http_requests_total", refused_scrape)] == 1
    assert trouble(server.lines) == [], server.output()
