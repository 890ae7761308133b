"""Query parameters more than one route takes: the command line's common options (`--team`,
`--grain`, `--since`, `--until`, `--as-of`) as the API names them; `Weekly`, `Monthly` and
`Quarterly` take the first four as one `Periods`, by the default of `grain`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Query

from productops.durations import Grain
from productops.services.periods import Periods

__all__ = [
    "AsOf",
    "Monthly",
    "Quarterly",
    "Since",
    "Team",
    "Until",
    "Weekly",
    "maybe_utc",
    "utc",
]

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


def _periods(default: Grain) -> Any:
    """The query parameters `team`, `grain` (`default` unless given), `since` and `until`, as
    one `Periods` (`services.periods`)."""

    def periods(
        team: Team = None,
        grain: Annotated[Grain, Query(description="The length of a period.")] = default,
        since: Since = None,
        until: Until = None,
    ) -> Periods:
        return Periods(grain, team, maybe_utc(since), maybe_utc(until))

    return Depends(periods)


Weekly = Annotated[Periods, _periods("week")]
Monthly = Annotated[Periods, _periods("month")]
Quarterly = Annotated[Periods, _periods("quarter")]
