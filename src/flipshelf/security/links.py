"""Signed, expiring links: private collections' player and files, package downloads.

A link carries `exp` (unix seconds) and `sig` (HMAC-SHA256 under a sub-key of the server key, over
the purpose, the subject and the expiry). Nothing else is needed to check it: any API or web
process with the same server key verifies it, no database lookup.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from flipshelf.domain.access import LinkCheck
from flipshelf.security.secret_box import LinkSigner


@dataclass(frozen=True)
class SignedLinks:
    """Signs and checks links for one purpose ("collection", "package", ...)."""

    server_key: bytes
    purpose: str

    def _signer(self) -> LinkSigner:
        return LinkSigner(self.server_key, self.purpose)

    def _message(self, subject: str, expires: int) -> str:
        return f"{self.purpose}\n{subject}\n{expires}"

    def query(self, subject: str, expires_at: datetime) -> str:
        """`exp=...&sig=...` for a link to `subject` valid until `expires_at`."""
        expires = int(expires_at.timestamp())
        signature = self._signer().sign(self._message(subject, expires))
        return urlencode({"exp": expires, "sig": signature})

    def check(self, subject: str, exp: str | None, sig: str | None, now: datetime) -> LinkCheck:
        """Tampered or foreign: INVALID; genuine but past its expiry: EXPIRED."""
        if not exp or not sig or not exp.isascii() or not exp.isdigit() or len(sig) != 64:
            return LinkCheck.INVALID
        if not self._signer().verify(self._message(subject, int(exp)), sig):
            return LinkCheck.INVALID
        return LinkCheck.VALID if now.timestamp() < int(exp) else LinkCheck.EXPIRED
