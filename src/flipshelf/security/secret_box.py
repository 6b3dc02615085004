"""Encrypts API secrets at rest (AES-256-GCM) and signs links (HMAC-SHA256) with sub-keys of
the server key, so one leaked purpose never weakens the other."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12


def derive(server_key: bytes, purpose: str) -> bytes:
    return hmac.new(server_key, purpose.encode(), hashlib.sha256).digest()


class SecretBox:
    def __init__(self, server_key: bytes) -> None:
        self._aead = AESGCM(derive(server_key, "flipshelf/secrets/v1"))

    def seal(self, plaintext: str, context: str) -> bytes:
        """`context` (the api key) is bound in: a ciphertext moved to another row fails to open."""
        nonce = secrets.token_bytes(NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, plaintext.encode(), context.encode())

    def open(self, sealed: bytes, context: str) -> str:
        nonce, body = sealed[:NONCE_BYTES], sealed[NONCE_BYTES:]
        return self._aead.decrypt(nonce, body, context.encode()).decode()


class LinkSigner:
    def __init__(self, server_key: bytes, purpose: str) -> None:
        self._key = derive(server_key, f"flipshelf/links/{purpose}")

    def sign(self, message: str) -> str:
        return hmac.new(self._key, message.encode(), hashlib.sha256).hexdigest()

    def verify(self, message: str, signature: str) -> bool:
        return hmac.compare_digest(self.sign(message), signature.lower())
