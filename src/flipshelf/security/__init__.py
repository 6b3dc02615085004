"""The server key and what it protects: secrets at rest and signed links."""
