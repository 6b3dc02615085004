"""Use cases of the dashboard's sign-in: passwords, login links, sessions.

A session is a random token in an HttpOnly cookie; the database keeps only its SHA-256, the
account, the CSRF token of the session and two times (domain/signin.py decides when it ends).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlencode

from flipshelf.domain.access import LinkCheck
from flipshelf.domain.accounts import Account
from flipshelf.domain.errors import LoginLinkRefused, SignInRefused, SignInThrottled
from flipshelf.domain.links import link_expiry
from flipshelf.domain.signin import (
    ACCOUNT_RULE,
    ADDRESS_RULE,
    FORGET_AFTER,
    SessionState,
    StoredSession,
    account_key,
    address_key,
    after_failure,
    check_new_password,
    is_nonce,
    login_subject,
    needs_touch,
    session_state,
    usable_password,
    wait_before_attempt,
)
from flipshelf.services import accounts
from flipshelf.services.ports import Ports, SignInPorts

LOGIN_LINK_PATH = "/dashboard/login/link"


@dataclass(frozen=True)
class OpenedSession:
    """A new session: `token` goes into the cookie and nowhere else."""

    token: str
    csrf: str
    account: Account


@dataclass(frozen=True)
class CurrentSession:
    account: Account
    csrf: str
    token_hash: str


@dataclass(frozen=True)
class LoginLink:
    url: str
    expires_at: datetime


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def set_password(ports: Ports, sign_in: SignInPorts, name: str, password: str) -> Account:
    """Sets the password of the active account with this name and signs its browsers out."""
    account = accounts.by_name(ports, name)
    password_hash = sign_in.hasher.hash(check_new_password(password))
    sign_in.passwords.set(account.id, password_hash, ports.clock.now())
    sign_in.sessions.remove_of_account(account.id)
    return account


def login_link(
    ports: Ports, sign_in: SignInPorts, name: str, seconds: int, public_url: str
) -> LoginLink:
    """A one-time link that signs the named account in, valid for `seconds`."""
    return link_for(ports, sign_in, accounts.by_name(ports, name), seconds, public_url)


def link_for(
    ports: Ports, sign_in: SignInPorts, account: Account, seconds: int, public_url: str
) -> LoginLink:
    nonce = secrets.token_urlsafe(24)
    expires_at = link_expiry(ports.clock.now(), seconds)
    signed = sign_in.link_signer.query(login_subject(account.id, nonce), expires_at)
    query = urlencode({"account": account.id, "nonce": nonce})
    return LoginLink(f"{public_url}{LOGIN_LINK_PATH}?{query}&{signed}", expires_at)


@dataclass(frozen=True)
class LinkParts:
    account: str | None
    nonce: str | None
    exp: str | None
    sig: str | None


def check_login_link(ports: Ports, sign_in: SignInPorts, link: LinkParts) -> Account:
    """The account a genuine, unexpired link signs in (not yet using it up)."""
    raw_id, nonce = link.account or "", link.nonce or ""
    if not raw_id.isascii() or not raw_id.isdigit() or len(raw_id) > 12 or not is_nonce(nonce):
        raise LoginLinkRefused("invalid")
    subject = login_subject(int(raw_id), nonce)
    check = sign_in.link_signer.check(subject, link.exp, link.sig, ports.clock.now())
    if check is LinkCheck.EXPIRED:
        raise LoginLinkRefused("expired")
    if check is not LinkCheck.VALID:
        raise LoginLinkRefused("invalid")
    account = ports.accounts.by_id(int(raw_id))
    if account is None or not account.is_active:
        raise LoginLinkRefused("invalid")
    return account


def redeem_login_link(ports: Ports, sign_in: SignInPorts, link: LinkParts) -> OpenedSession:
    """Signs in with a link, once: a second use is refused. Never throttled."""
    account = check_login_link(ports, sign_in, link)
    assert link.nonce is not None and link.exp is not None  # checked above
    expires_at = datetime.fromtimestamp(int(link.exp), UTC)
    if not sign_in.login_links.use(link.nonce, account.id, expires_at, ports.clock.now()):
        raise LoginLinkRefused("used")
    return open_session(ports, sign_in, account)


def _password_account(ports: Ports, sign_in: SignInPorts, name: str) -> tuple[Account, str] | None:
    """The one active account with this name that has a password, and its hash."""
    with_password = [
        (account, found)
        for account in ports.accounts.active_named(name.strip())
        if (found := sign_in.passwords.get(account.id)) is not None
    ]
    return with_password[0] if len(with_password) == 1 else None


def sign_in_with_password(
    ports: Ports, sign_in: SignInPorts, name: str, password: str, address: str
) -> OpenedSession:
    """Checks a name and password unless the address or account must wait (SignInThrottled);
    a failure is counted against both (SignInRefused)."""
    now = ports.clock.now()
    found = _password_account(ports, sign_in, name) if usable_password(password) else None
    keys = [address_key(address)] + ([account_key(found[0].id)] if found else [])
    held = sign_in.failures.get(keys)
    rules = [ADDRESS_RULE] + [ACCOUNT_RULE] * (len(keys) - 1)
    wait = max(wait_before_attempt(held.get(k), now, r) for k, r in zip(keys, rules, strict=True))
    if wait.total_seconds() > 0:
        raise SignInThrottled(max(1, int(wait.total_seconds() + 0.999)))
    if found is None:
        sign_in.hasher.waste(password)  # a wrong name takes as long as a wrong password
        sign_in.failures.fail(keys, lambda before: after_failure(before, now))
        raise SignInRefused("wrong name or password")
    account, password_hash = found
    if not sign_in.hasher.verify(password_hash, password):
        sign_in.failures.fail(keys, lambda before: after_failure(before, now))
        raise SignInRefused("wrong name or password")
    if sign_in.hasher.needs_rehash(password_hash):
        sign_in.passwords.set(account.id, sign_in.hasher.hash(password), now)
    sign_in.failures.clear(keys[1:])
    return open_session(ports, sign_in, account)


def open_session(ports: Ports, sign_in: SignInPorts, account: Account) -> OpenedSession:
    now = ports.clock.now()
    _forget_old(sign_in, now)
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    sign_in.sessions.add(StoredSession(token_hash(token), account.id, csrf, now, now))
    return OpenedSession(token, csrf, account)


def current(ports: Ports, sign_in: SignInPorts, token: str | None) -> CurrentSession | None:
    """The signed-in account behind a cookie's token; None when there is none, it ended (idle
    or too old, then it is removed) or its account was revoked."""
    if not token or len(token) > 128:
        return None
    hashed = token_hash(token)
    stored = sign_in.sessions.get(hashed)
    if stored is None:
        return None
    now = ports.clock.now()
    state = session_state(stored.created_at, stored.seen_at, now, sign_in.policy)
    if state is not SessionState.ACTIVE:
        sign_in.sessions.remove(hashed)
        return None
    account = ports.accounts.by_id(stored.account_id)
    if account is None or not account.is_active:
        return None
    if needs_touch(stored.seen_at, now):
        sign_in.sessions.touch(hashed, now)
    return CurrentSession(account, stored.csrf, hashed)


def sign_out(sign_in: SignInPorts, session: CurrentSession) -> None:
    sign_in.sessions.remove(session.token_hash)


def _forget_old(sign_in: SignInPorts, now: datetime) -> None:
    """Drops ended sessions and forgotten failures: at each sign-in, so the tables stay small."""
    policy = sign_in.policy
    sign_in.sessions.forget(now - policy.absolute, now - policy.idle)
    sign_in.failures.forget_before(now - FORGET_AFTER)
