"""The publisher dashboard: sign in, publish, embed and measure in a browser (docs/dashboard.md).

Server-rendered pages on the same services as the v1 API; a little plain JavaScript for drag
and drop, progress and charts. Every route needs a session except the sign-in pages; every
POST needs the session's CSRF token; another account's collection is not found.
"""
