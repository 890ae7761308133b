"""Query parameters more than one route takes: the command line's common options (`--team`,
`--grain`, `--since`, `--until`, `--as-of`) as the API names them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Query

__all__ = ["AsOf", "Since", "Team", "Until", "maybe_utc", "utc"]

AsOf = Annotated[
    datetime | None, Query(description="Look from this time (ISO 8601; default now; naive is UTC).")
]
Team = Annotated[str | None, Query(description="Only this team's rows (its id).")]
Since = Annotated[
    datetime | None,
    Query(description="Only periods starting on or after this time (ISO 8601; naive is UTC)."),
]
Until = Annotated[
    datetime | None,
    Query(description="Only periods starting before this time (ISO 8601; naive is UTC)."),
]


def utc(value: datetime | None) -> datetime:
    """`value` in UTC (naive is UTC), or now to the second."""
    if value is None:
        return datetime.now(UTC).replace(microsecond=0)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def maybe_utc(value: datetime | None) -> datetime | None:
    """`value` in UTC (naive is UTC), or None."""
    return None if value is None else utc(value)
