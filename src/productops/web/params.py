"""Query parameters more than one route takes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Query

__all__ = ["AsOf", "utc"]

AsOf = Annotated[
    datetime | None, Query(description="Look from this time (ISO 8601; default now; naive is UTC).")
]


def utc(value: datetime | None) -> datetime:
    """`value` in UTC (naive is UTC), or now to the second."""
    if value is None:
        return datetime.now(UTC).replace(microsecond=0)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
