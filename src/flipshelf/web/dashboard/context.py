"""What every dashboard handler gets: the ports, the sign-in ports, and the request's visit."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from starlette.requests import Request

from flipshelf.domain.accounts import Account
from flipshelf.security.secret_box import SecretBox
from flipshelf.services.ports import Ports, SignInPorts
from flipshelf.services.signin import CurrentSession
from flipshelf.services.uploads import UploadLimits
from flipshelf.web.dashboard.forms import Form
from flipshelf.web.urls import PublicUrls


@dataclass(frozen=True)
class Dashboard:
    ports: Ports
    sign_in: SignInPorts
    box: SecretBox
    urls: PublicUrls
    limits: UploadLimits
    max_upload_bytes: int
    staging_dir: Path
    # Cookies say Secure when the public URL is https (behind TLS).
    secure_cookies: bool
    # The origin object-store file URLs redirect to, if any (for the pages' img-src).
    file_origin: str | None = None


@dataclass
class Visit:
    """One signed-in request: its session and, for a form POST, the form."""

    request: Request
    session: CurrentSession
    form: Form = field(default_factory=Form)

    @property
    def account(self) -> Account:
        return self.session.account

    def path_param(self, name: str) -> str:
        value: str = self.request.path_params[name]
        return value
