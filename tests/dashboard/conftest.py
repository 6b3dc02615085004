"""The dashboard through HTTP, in-process (Starlette's TestClient), on every configured
database: a browser is a cookie jar that follows the same forms a person submits."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from starlette.testclient import TestClient

from flipshelf.app import create_app, sign_in_ports
from flipshelf.runtime import Runtime
from flipshelf.services import signin
from flipshelf.services.ports import SignInPorts
from tests.support import Tenant, new_tenant

CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')
SIGNIN_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@pytest.fixture
def sign_in(runtime: Runtime) -> SignInPorts:
    return sign_in_ports(runtime)


@dataclass
class Browser:
    """One browser: its own cookies, signed in as `tenant`."""

    client: TestClient
    tenant: Tenant
    csrf: str

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.client.get(path, follow_redirects=False, **kwargs)

    def post(self, path: str, data: dict[str, str] | None = None, **kwargs: Any) -> Any:
        """A form as the page submits it, with the session's CSRF token."""
        return self.client.post(
            path, data={"csrf": self.csrf, **(data or {})}, follow_redirects=False, **kwargs
        )


def link_parts(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))


def open_browser(
    runtime: Runtime, sign_in: SignInPorts, tenant: Tenant, base_url: str = "http://testserver"
) -> Browser:
    """Signs in the way a person does with a login link: open it, press Continue."""
    client = TestClient(create_app(runtime), base_url=base_url)
    client.__enter__()
    link = signin.login_link(runtime.ports, sign_in, tenant.account.name, 900, "")
    page = client.get(link.url)
    assert page.status_code == 200, page.text
    token = SIGNIN_CSRF.search(page.text)
    assert token is not None
    done = client.post(
        "/dashboard/login/link",
        data={"csrf": token.group(1), **link_parts(link.url)},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    home = client.get("/dashboard/")
    csrf = CSRF_META.search(home.text)
    assert csrf is not None, home.text
    return Browser(client, tenant, csrf.group(1))


@pytest.fixture
def owner(runtime: Runtime, sign_in: SignInPorts, tenant: Tenant) -> Iterator[Browser]:
    browser = open_browser(runtime, sign_in, tenant)
    yield browser
    browser.client.__exit__(None, None, None)


@pytest.fixture
def stranger(runtime: Runtime, sign_in: SignInPorts) -> Iterator[Browser]:
    browser = open_browser(runtime, sign_in, new_tenant(runtime, "stranger"))
    yield browser
    browser.client.__exit__(None, None, None)
