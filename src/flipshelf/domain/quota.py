"""The monthly upload quota: months are calendar months in UTC."""

from __future__ import annotations

from datetime import datetime


def month_key(now: datetime) -> str:
    return f"{now.year:04d}-{now.month:02d}"


def uploads_left(limit: int, used: int) -> int:
    return max(0, limit - used)
