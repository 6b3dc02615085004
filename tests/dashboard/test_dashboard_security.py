"""What nobody may do through the dashboard: reach another account's collection (404 on every
route), change anything without the session's CSRF token (403, nothing changed), see markup they
typed run as markup; and the headers every page carries."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from starlette.routing import Route

from flipshelf.app import create_app
from flipshelf.domain.collections import Collection, CollectionStatus
from flipshelf.runtime import Runtime
from flipshelf.services import accounts
from tests.dashboard.conftest import Browser
from tests.support import Tenant, seed_collection

HOSTILE = '<script>window.__pwned = 1</script><img src=x onerror="alert(1)">'
PDF = b"%PDF-1.4\n%not a real pdf\n"


def dashboard_routes(runtime: Runtime) -> list[tuple[str, str]]:
    """(method, path) of every dashboard route, read from the app itself: a route added later
    is covered without touching this test."""
    found = []
    for route in create_app(runtime).routes:
        if isinstance(route, Route) and route.path.startswith("/dashboard"):
            for method in sorted((route.methods or set()) - {"HEAD"}):
                found.append((method, route.path))
    return found


def concrete(path: str, collection: Collection) -> str:
    return (
        path.replace("{collection}", collection.hash)
        .replace("{flipbook}", collection.items[0].hash)
        .replace("{role:str}", "logo")
    )


def snapshot(runtime: Runtime, collection: Collection, tenant: Tenant) -> tuple[Any, ...]:
    """Everything a dashboard POST could change about the owner and their collection."""
    now = runtime.ports.collections.get(collection.hash)
    assert now is not None
    account, secret = accounts.credentials(runtime.ports, runtime.box, tenant.pair.api_key)
    listed = runtime.ports.collections.ids_of_account(tenant.account.id)
    return now, secret, account.strict, listed


def send(browser: Browser, method: str, path: str, csrf: str | None) -> Any:
    """A request as the page would send it, with `csrf` (or none) as form field and header."""
    if method == "GET":
        return browser.get(path)
    headers = {"x-csrf-token": csrf} if csrf else {}
    fields = {"csrf": csrf} if csrf else {}
    if path.endswith(("/books", "/new")) or ("/image/" in path and not path.endswith("/delete")):
        return browser.client.post(
            path,
            data=fields,
            files={"file": ("a.pdf", PDF, "application/pdf")},
            headers=headers,
            follow_redirects=False,
        )
    form = {
        **fields,
        "confirm": "yes",
        "direction": "down",
        "title": "changed",
        "strict": "on",
        "expiresIn": "3600",
    }
    return browser.client.post(path, data=form, headers=headers, follow_redirects=False)


@pytest.fixture
def shelf(runtime: Runtime, tenant: Tenant) -> Collection:
    from flipshelf.domain.collections import ConvertStatus

    return seed_collection(runtime, tenant, items=(ConvertStatus.COMPLETE, ConvertStatus.COMPLETE))


def test_every_route_with_a_collection_is_not_found_for_another_account(
    runtime: Runtime, owner: Browser, stranger: Browser, tenant: Tenant, shelf: Collection
) -> None:
    routes = [(m, p) for m, p in dashboard_routes(runtime) if "{collection}" in p]
    assert len(routes) >= 15, routes
    before = snapshot(runtime, shelf, tenant)
    for method, path in routes:
        answer = send(stranger, method, concrete(path, shelf), stranger.csrf)
        assert answer.status_code == 404, (method, path, answer.status_code, answer.text[:300])
        assert shelf.title not in answer.text
    assert snapshot(runtime, shelf, tenant) == before
    assert runtime.ports.queue.packages == []  # type: ignore[attr-defined] - no build asked
    assert owner.get(f"/dashboard/c/{shelf.hash}").status_code == 200


def test_an_unknown_or_malformed_collection_is_not_found(owner: Browser) -> None:
    for path in ("/dashboard/c/zzzzzzzzzz", "/dashboard/c/../../etc", "/dashboard/c/x/stats"):
        assert owner.get(path).status_code == 404, path


def test_no_post_changes_anything_without_the_sessions_csrf_token(
    runtime: Runtime, owner: Browser, tenant: Tenant, shelf: Collection
) -> None:
    staging = runtime.settings.data_dir / "staging"
    posts = [(m, p) for m, p in dashboard_routes(runtime) if m == "POST"]
    sign_in_posts = {"/dashboard/login", "/dashboard/login/link"}  # their own token: see below
    before = snapshot(runtime, shelf, tenant)
    for csrf in (None, "wrong-token", owner.csrf[:-1]):
        for method, path in posts:
            if path in sign_in_posts:
                continue
            answer = send(owner, method, concrete(path, shelf), csrf)
            assert answer.status_code == 403, (path, csrf, answer.status_code, answer.text[:300])
    assert snapshot(runtime, shelf, tenant) == before
    assert not staging.exists() or not list(staging.glob("*"))  # no byte was staged
    assert owner.get("/dashboard/").status_code == 200  # still signed in: sign-out was refused


def test_without_a_session_pages_send_to_sign_in_and_the_rest_refuses(
    runtime: Runtime, owner: Browser, shelf: Collection
) -> None:
    owner.client.cookies.clear()
    for method, path in dashboard_routes(runtime):
        if path.startswith("/dashboard/login") or path == "/dashboard":
            continue  # the sign-in pages, and the bare path that only adds its slash
        answer = send(owner, method, concrete(path, shelf), owner.csrf)
        if method == "GET" and not path.endswith(".json"):
            assert answer.status_code == 303, path
            assert answer.headers["location"].startswith("/dashboard/login?next=")
        else:
            assert answer.status_code in (401, 403), (method, path, answer.status_code)


def test_titles_descriptions_and_names_are_shown_as_text(
    runtime: Runtime, owner: Browser, tenant: Tenant
) -> None:
    hostile = seed_collection(runtime, tenant, title=HOSTILE, description=HOSTILE)
    pages = [
        "/dashboard/",
        f"/dashboard/c/{hostile.hash}",
        f"/dashboard/c/{hostile.hash}/embed",
        f"/dashboard/c/{hostile.hash}/stats",
    ]
    for path in pages:
        text = owner.get(path).text
        assert "<script>window.__pwned" not in text and "<img src=x" not in text, path
        assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in text, path
    progress = owner.get(f"/dashboard/c/{hostile.hash}/status.json")
    assert progress.headers["content-type"] == "application/json"  # never sniffed as HTML


def test_every_page_forbids_framing_scripts_from_elsewhere_and_caching(
    owner: Browser, shelf: Collection
) -> None:
    for path in (
        "/dashboard/",
        f"/dashboard/c/{shelf.hash}",
        "/dashboard/keys",
        "/dashboard/new",
    ):
        headers = owner.get(path).headers
        policy = headers["content-security-policy"]
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy, path
        assert "'unsafe-inline'" not in policy
        assert headers["x-frame-options"] == "DENY"
        assert headers["cache-control"] == "no-store"
        assert headers["x-content-type-options"] == "nosniff"


def test_the_embed_preview_may_be_framed_only_by_the_dashboard(
    owner: Browser, shelf: Collection
) -> None:
    preview = owner.get(f"/dashboard/c/{shelf.hash}/embed/preview")
    policy = preview.headers["content-security-policy"]
    assert "frame-ancestors 'self'" in policy and "script-src" not in policy
    assert "default-src 'none'" in policy


def test_no_page_loads_anything_from_another_host(tmp_path: Path) -> None:
    from flipshelf.web.dashboard.render import TEMPLATES
    from flipshelf.web.widget import STATIC_DIR

    for path in [*TEMPLATES.glob("*.html"), *(STATIC_DIR / "dashboard").glob("*.*")]:
        text = path.read_text()
        found = re.findall(r"(?:src|href)=\"https?://", text)
        assert not found, path
        assert "@import" not in text, path


def test_a_private_collection_stays_private_in_the_lists_of_others(
    runtime: Runtime, stranger: Browser, tenant: Tenant
) -> None:
    secret = seed_collection(runtime, tenant, title="Secret plans", status=CollectionStatus.PRIVATE)
    assert "Secret plans" not in stranger.get("/dashboard/").text
    assert stranger.get(f"/dashboard/status.json?c={secret.hash}").status_code == 404
