"""structlog set-up: readable lines for people, JSON for collectors. Secrets are never logged:
the API logs codes and reasons, never parameters.

The standard library's loggers (Huey's, uvicorn's, any library's) go through the same renderer,
so with JSON chosen every line a process prints is one JSON object. Lines logged while the API
serves a call carry its `request_id` (bound by the endpoint as a context variable)."""

from __future__ import annotations

import logging
import sys

import structlog

# structlog's own steps before rendering, shared by its loggers and the standard library's.
SHARED: list[structlog.typing.Processor] = [
    structlog.contextvars.merge_contextvars,
    structlog.processors.add_log_level,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]

# httpx logs every request's full URL at INFO (a fetched fileUrl may hold a token); alembic
# says "Context impl SQLiteImpl." at every command that checks the schema.
QUIET = ("httpx", "httpcore", "alembic")


def configure(log_format: str, level: str) -> None:
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer()
        if log_format == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    number = logging.getLevelNamesMapping()[level.upper()]
    structlog.configure(
        processors=[*SHARED, structlog.processors.format_exc_info, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(number),
        cache_logger_on_first_use=True,
    )
    _route_standard_logging(renderer, number)


def _route_standard_logging(renderer: structlog.typing.Processor, level: int) -> None:
    """One handler on the root logger, rendering like structlog; libraries' own handlers go, so
    their records reach it (uvicorn is started with `log_config=None` for the same reason)."""
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[structlog.stdlib.add_logger_name, *SHARED],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            renderer,
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("huey", "uvicorn", "uvicorn.error", "uvicorn.access"):
        library = logging.getLogger(name)
        library.handlers.clear()
        library.propagate = True
    for name in QUIET:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
