"""The label values /metrics may show come from closed sets: known action names, route
templates, the methods the app serves; whatever a client sends maps to one fixed value."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.exposition import generate_latest
from prometheus_client.parser import text_string_to_metric_families
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

from flipshelf.metrics import HttpMetrics, action_label, method_label, route_label
from flipshelf.settings import Settings, settings_problems

KNOWN = frozenset({"user.getStats", "collection.update"})


def test_a_known_action_is_its_own_label() -> None:
    assert action_label("user.getStats", KNOWN) == "user.getStats"


def test_any_other_action_is_unknown_and_a_missing_one_none() -> None:
    for sent in ("user.getstats", "user.getStats ", 'x"} 1\nowned{a="', "é" * 500):
        assert action_label(sent, KNOWN) == "unknown"
    assert action_label("", KNOWN) == action_label(None, KNOWN) == "none"


def test_a_route_is_labelled_by_its_template() -> None:
    assert route_label(Route("/c/{collection}", PlainTextResponse)) == "/c/{collection}"
    assert route_label(Mount("/static", routes=[])) == "/static"
    assert route_label(None) == "unmatched"


def test_only_served_methods_are_label_values() -> None:
    assert method_label("GET") == "GET" and method_label("POST") == "POST"
    assert method_label("BREW") == method_label("get") == "other"


def _samples(registry: CollectorRegistry) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(generate_latest(registry).decode())
        for sample in family.samples
    }


def test_the_middleware_counts_templates_never_paths() -> None:
    async def page(request: Request) -> Response:
        return PlainTextResponse(request.path_params["name"])

    async def broken(_request: Request) -> Response:
        raise RuntimeError("a bug")

    registry = CollectorRegistry()
    app = Starlette(routes=[Route("/p/{name}", page), Route("/broken", broken)])
    app.add_middleware(HttpMetrics, registry=registry)
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/p/secret-title").status_code == 200
        assert client.get("/nowhere/secret-path").status_code == 404
        assert client.get("/broken").status_code == 500
    found = _samples(registry)
    count = "flipshelf_http_requests_total"
    assert found[(count, (("method", "GET"), ("route", "/p/{name}"), ("status", "200")))] == 1
    assert found[(count, (("method", "GET"), ("route", "unmatched"), ("status", "404")))] == 1
    assert found[(count, (("method", "GET"), ("route", "/broken"), ("status", "500")))] == 1
    timed = (
        "flipshelf_http_request_seconds_count",
        (("method", "GET"), ("route", "/p/{name}"), ("status", "200")),
    )
    assert found[timed] == 1
    assert "secret" not in generate_latest(registry).decode()


@pytest.mark.parametrize(
    "token", ["short-token", "a token with spaces in it", "tab\there-long-enough"]
)
def test_a_weak_metrics_token_is_one_line_naming_the_variable(token: str) -> None:
    with pytest.raises(ValidationError) as invalid:
        Settings(metrics_token=token)
    problem = settings_problems(invalid.value)
    assert problem.startswith("FLIPSHELF_METRICS_TOKEN: ") and "\n" not in problem
    assert token not in problem


def test_the_metrics_token_is_never_shown() -> None:
    settings = Settings(metrics_token="token-of-sixteen-or-more")
    assert settings.metrics_token == "token-of-sixteen-or-more"
    for shown in (repr(settings), str(settings)):
        assert "token-of-sixteen-or-more" not in shown
