"""How long browsers and shared caches may keep what the public routes answer."""

from __future__ import annotations

# Content-addressed or versioned URLs (page images, text, ?v=<version> assets): never change.
IMMUTABLE = "public, max-age=31536000, immutable"
# A private collection's files: the reader's browser may keep them, shared caches may not.
PRIVATE_CACHE = "private, max-age=3600"
