"""Signing in to the dashboard through HTTP: passwords, login links, sessions and their
cookies, throttled attempts that never lock the owner out, signing out."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from flipshelf.app import create_app, sign_in_ports
from flipshelf.db.migrate import upgrade
from flipshelf.domain.errors import SignInRefused, SignInThrottled
from flipshelf.domain.signin import ACCOUNT_RULE, ADDRESS_RULE
from flipshelf.runtime import Runtime, build_runtime
from flipshelf.services import accounts, signin
from flipshelf.services.ports import SignInPorts
from tests.conftest import make_settings
from tests.dashboard.conftest import SIGNIN_CSRF, Browser, link_parts
from tests.support import FixedClock, RecordingQueue, Tenant, new_tenant

PASSWORD = "a long, long password"


@pytest.fixture
def with_password(runtime: Runtime, sign_in: SignInPorts, tenant: Tenant) -> Tenant:
    signin.set_password(runtime.ports, sign_in, tenant.account.name, PASSWORD)
    return tenant


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime)) as browser:
        yield browser


def sign_in_form(client: TestClient, name: str, password: str, next_path: str = "") -> object:
    page = client.get("/dashboard/login")
    token = SIGNIN_CSRF.search(page.text)
    assert token is not None
    form = {"csrf": token.group(1), "name": name, "password": password, "next": next_path}
    return client.post("/dashboard/login", data=form, follow_redirects=False)


def test_the_right_password_signs_in_with_a_safe_cookie(
    client: TestClient, with_password: Tenant
) -> None:
    answer = sign_in_form(client, with_password.account.name, PASSWORD)
    assert answer.status_code == 303  # type: ignore[attr-defined]
    cookie = answer.headers["set-cookie"]  # type: ignore[attr-defined]
    assert cookie.startswith("flipshelf_session=")
    for flag in ("HttpOnly", "Path=/dashboard", "SameSite=lax", "Max-Age=604800"):
        assert flag in cookie, cookie
    assert "Secure" not in cookie  # plain http: a Secure cookie would never come back
    home = client.get("/dashboard/")
    assert home.status_code == 200 and with_password.account.name in home.text


@pytest.mark.parametrize("which", ["password", "name"])
def test_a_wrong_name_or_password_says_the_same_and_signs_nobody_in(
    client: TestClient, with_password: Tenant, which: str
) -> None:
    name = with_password.account.name + ("x" if which == "name" else "")
    password = PASSWORD + ("x" if which == "password" else "")
    answer = sign_in_form(client, name, password)
    assert answer.status_code == 401  # type: ignore[attr-defined]
    assert "Wrong name or password." in answer.text  # type: ignore[attr-defined]
    assert "flipshelf_session" not in client.cookies
    assert client.get("/dashboard/", follow_redirects=False).status_code == 303


def test_a_sign_in_form_from_another_site_is_refused(
    client: TestClient, with_password: Tenant
) -> None:
    """Login CSRF: the form must repeat the token of the sign-in cookie."""
    form = {"csrf": "forged", "name": with_password.account.name, "password": PASSWORD}
    assert client.post("/dashboard/login", data=form).status_code == 403
    client.get("/dashboard/login")  # the cookie is there now, the token still forged
    assert client.post("/dashboard/login", data=form).status_code == 403
    assert "flipshelf_session" not in client.cookies


def test_failures_slow_down_attempts_and_a_correct_password_waits_too(
    client: TestClient, with_password: Tenant, clock: FixedClock
) -> None:
    name = with_password.account.name
    for _ in range(ACCOUNT_RULE.free + 1):
        assert sign_in_form(client, name, "wrong").status_code == 401  # type: ignore[attr-defined]
    throttled = sign_in_form(client, name, PASSWORD)
    assert throttled.status_code == 429  # type: ignore[attr-defined]
    assert throttled.headers["retry-after"] == "1"  # type: ignore[attr-defined]
    assert "Too many failed attempts" in throttled.text  # type: ignore[attr-defined]
    clock.advance(seconds=1)
    assert sign_in_form(client, name, PASSWORD).status_code == 303  # type: ignore[attr-defined]


def test_the_owner_elsewhere_waits_a_minute_at_most_and_a_link_always_works(
    runtime: Runtime, sign_in: SignInPorts, with_password: Tenant, clock: FixedClock
) -> None:
    """Someone guessing from many addresses slows the account down, never locks it."""
    ports, name = runtime.ports, with_password.account.name
    for n in range(40):
        clock.advance(minutes=1)  # each guess after the wait, as a patient attacker would
        with pytest.raises(SignInRefused):
            signin.sign_in_with_password(ports, sign_in, name, "guess", f"10.0.0.{n}")
    with pytest.raises(SignInThrottled) as waiting:
        signin.sign_in_with_password(ports, sign_in, name, PASSWORD, "192.0.2.7")
    assert waiting.value.retry_after == 60
    link = signin.login_link(ports, sign_in, name, 900, "")
    opened = signin.redeem_login_link(ports, sign_in, signin.LinkParts(**link_parts(link.url)))
    assert opened.account.id == with_password.account.id
    clock.advance(seconds=60)
    owner = signin.sign_in_with_password(ports, sign_in, name, PASSWORD, "192.0.2.7")
    assert owner.account.id == with_password.account.id


def test_one_address_spraying_many_names_is_slowed_to_an_hour(
    runtime: Runtime, sign_in: SignInPorts, clock: FixedClock
) -> None:
    for n in range(ADDRESS_RULE.free + 20):
        while True:  # each guess once the address may guess again
            try:
                signin.sign_in_with_password(
                    runtime.ports, sign_in, f"user{n}", "pw", "203.0.113.5"
                )
            except SignInThrottled as throttled:
                clock.advance(seconds=throttled.retry_after)
            except SignInRefused:
                break
    with pytest.raises(SignInThrottled) as waiting:
        signin.sign_in_with_password(runtime.ports, sign_in, "anyone", "pw", "203.0.113.5")
    assert waiting.value.retry_after == 3600


def continue_with(client: TestClient, url: str) -> object:
    """Opens a login link and presses Continue."""
    token = SIGNIN_CSRF.search(client.get(url).text)
    assert token is not None
    form = {"csrf": token.group(1), **link_parts(url)}
    return client.post("/dashboard/login/link", data=form, follow_redirects=False)


def test_a_login_link_shows_continue_then_signs_in_once(
    runtime: Runtime, sign_in: SignInPorts, client: TestClient, tenant: Tenant
) -> None:
    link = signin.login_link(runtime.ports, sign_in, tenant.account.name, 900, "")
    page = client.get(link.url)
    again = client.get(link.url)  # a mail scanner fetching the link spends nothing
    assert page.status_code == again.status_code == 200
    assert f"Sign in as {tenant.account.name}" in page.text
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert continue_with(client, link.url).status_code == 303  # type: ignore[attr-defined]
    assert client.get("/dashboard/").status_code == 200
    client.cookies.clear()
    used = continue_with(client, link.url)
    assert used.status_code == 410  # type: ignore[attr-defined]
    assert "was used already" in used.text  # type: ignore[attr-defined]
    assert client.get("/dashboard/", follow_redirects=False).status_code == 303


@pytest.mark.parametrize("damage", ["sig", "account", "nonce", "exp"])
def test_a_tampered_login_link_is_not_valid(
    runtime: Runtime, sign_in: SignInPorts, client: TestClient, tenant: Tenant, damage: str
) -> None:
    link = signin.login_link(runtime.ports, sign_in, tenant.account.name, 900, "")
    parts = link_parts(link.url)
    parts[damage] = {"sig": "0" * 64, "account": "999", "nonce": "A" * 32, "exp": "9999999999"}[
        damage
    ]
    query = "&".join(f"{k}={v}" for k, v in parts.items())
    page = client.get(f"/dashboard/login/link?{query}")
    assert page.status_code == 403 and "not valid" in page.text


def test_an_expired_login_link_says_so(
    runtime: Runtime, sign_in: SignInPorts, client: TestClient, tenant: Tenant, clock: FixedClock
) -> None:
    link = signin.login_link(runtime.ports, sign_in, tenant.account.name, 60, "")
    clock.advance(seconds=61)
    page = client.get(link.url)
    assert page.status_code == 410 and "has expired" in page.text


def test_a_revoked_account_cannot_use_its_link_or_its_session(
    runtime: Runtime, sign_in: SignInPorts, owner: Browser, tenant: Tenant
) -> None:
    link = signin.login_link(runtime.ports, sign_in, tenant.account.name, 900, "")
    accounts.revoke(runtime.ports, tenant.pair.api_key)
    assert owner.get("/dashboard/").status_code == 303
    assert owner.get(link.url).status_code == 403


def test_idle_sessions_end_and_active_ones_end_after_a_week(
    owner: Browser, clock: FixedClock
) -> None:
    for _ in range(7 * 12 - 1):  # a request every two hours less a minute, for a week
        clock.advance(hours=2, minutes=-1)
        assert owner.get("/dashboard/").status_code == 200
    clock.advance(hours=2)
    answer = owner.get("/dashboard/keys")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/dashboard/login?next=/dashboard/keys"


def test_a_session_left_alone_for_two_hours_ends(owner: Browser, clock: FixedClock) -> None:
    clock.advance(hours=1, minutes=59)
    assert owner.get("/dashboard/").status_code == 200
    clock.advance(hours=2)
    assert owner.get("/dashboard/").status_code == 303


def test_signing_out_ends_the_session_for_good(owner: Browser) -> None:
    token = owner.client.cookies["flipshelf_session"]
    answer = owner.post("/dashboard/logout")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/dashboard/login?done=signed-out"
    assert "You are signed out." in owner.client.get(answer.headers["location"]).text
    owner.client.cookies.set("flipshelf_session", token, path="/dashboard")
    assert owner.get("/dashboard/").status_code == 303  # the old cookie opens nothing


def test_a_new_password_signs_every_browser_out(
    runtime: Runtime, sign_in: SignInPorts, owner: Browser, tenant: Tenant
) -> None:
    signin.set_password(runtime.ports, sign_in, tenant.account.name, PASSWORD)
    assert owner.get("/dashboard/").status_code == 303


def test_after_signing_in_the_browser_goes_back_only_to_the_dashboard(
    client: TestClient, with_password: Tenant
) -> None:
    name = with_password.account.name
    back = sign_in_form(client, name, PASSWORD, "/dashboard/keys")
    assert back.headers["location"] == "/dashboard/keys"  # type: ignore[attr-defined]
    for elsewhere in ("https://evil.example/", "//evil.example/dashboard/", "/dashboard/\\evil"):
        client.cookies.clear()
        away = sign_in_form(client, name, PASSWORD, elsewhere)
        assert away.headers["location"] == "/dashboard/"  # type: ignore[attr-defined]


def test_the_root_takes_a_browser_to_the_dashboard(client: TestClient) -> None:
    assert client.get("/", follow_redirects=False).headers["location"] == "/dashboard/"
    login = client.get("/dashboard/", follow_redirects=False)
    assert login.headers["location"] == "/dashboard/login?next=/dashboard/"


def test_behind_tls_every_cookie_is_secure(tmp_path: Path, database_url: str) -> None:
    settings = make_settings(tmp_path, database_url, public_url="https://books.example")
    upgrade(settings.resolved_database_url())
    runtime = build_runtime(settings, clock=FixedClock(), queue=RecordingQueue())
    sign_in = sign_in_ports(runtime)
    try:
        tenant = new_tenant(runtime)
        link = signin.login_link(runtime.ports, sign_in, tenant.account.name, 900, "")
        with TestClient(create_app(runtime), base_url="https://testserver") as client:
            page = client.get(link.url)
            assert re.search(r";\s*Secure", page.headers["set-cookie"])
            done = continue_with(client, link.url)
            cookie = done.headers["set-cookie"]  # type: ignore[attr-defined]
            assert cookie.startswith("flipshelf_session=") and re.search(r";\s*Secure", cookie)
            assert client.get("/dashboard/").status_code == 200
    finally:
        runtime.db.dispose()


def test_sessions_are_stored_as_hashes_only(
    runtime: Runtime, owner: Browser, sign_in: SignInPorts
) -> None:
    token = owner.client.cookies["flipshelf_session"]
    assert sign_in.sessions.get(token) is None
    assert sign_in.sessions.get(signin.token_hash(token)) is not None
    assert timedelta(hours=2) == sign_in.policy.idle
