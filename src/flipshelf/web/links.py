"""The signed link a reader's request carries: a private collection's player appends its `exp`
and `sig` to every page, file and event URL it asks for."""

from __future__ import annotations

from starlette.requests import Request

from flipshelf.domain.access import ReaderLink


def reader_link(request: Request) -> ReaderLink:
    query = request.query_params
    return ReaderLink(query.get("exp"), query.get("sig"))
