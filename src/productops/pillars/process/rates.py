"""Per-week rates of counts per period, the period still running at `as_of` marked `partial`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import ibis

from productops.durations import Grain, period, seconds_between

if TYPE_CHECKING:
    import ibis.expr.types as ir

__all__ = ["WEEKS", "as_of_utc", "per_week", "until"]

# Weeks in a period, months and quarters taken at their average length.
WEEKS = {"day": 1 / 7, "week": 1.0, "month": 30.44 / 7, "quarter": 91.31 / 7}
_SECONDS_PER_WEEK = 7 * 86_400


def as_of_utc(as_of: datetime | None) -> datetime:
    """`as_of` in UTC (a naive one taken as UTC); now when None."""
    if as_of is None:
        return datetime.now(UTC)
    return as_of.replace(tzinfo=UTC) if as_of.tzinfo is None else as_of.astimezone(UTC)


def until(events: ir.Table, column: str, as_of: datetime) -> ir.Table:
    """The events whose `column` is before `as_of`."""
    return events.filter(events[column] < ibis.literal(as_of))


def per_week(
    counts: ir.Table, value: ir.NumericValue, grain: Grain, as_of: datetime
) -> tuple[ir.FloatingValue, ir.BooleanValue]:
    """`value` per week of each period of `counts` (by `period_start`), and whether the period
    still runs at `as_of`: a running period's rate is over its elapsed part."""
    moment = ibis.literal(as_of)
    partial: ir.BooleanValue = counts.period_start == period(moment, grain)
    elapsed = seconds_between(counts.period_start, moment).cast("float64") / _SECONDS_PER_WEEK
    weeks = ibis.ifelse(partial, ibis.least(elapsed, WEEKS[grain]), WEEKS[grain])
    rate: ir.FloatingValue = value.cast("float64") / weeks
    return rate, partial
