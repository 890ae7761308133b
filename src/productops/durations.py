"""Durations and periods, the same on every backend."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, get_args

if TYPE_CHECKING:
    import ibis.expr.types as ir

__all__ = [
    "GRAINS",
    "PERCENTILES",
    "SECONDS_PER_DAY",
    "Grain",
    "days_between",
    "hours_between",
    "percentiles",
    "period",
    "seconds_between",
]

SECONDS_PER_DAY = 86_400
PERCENTILES = (50, 70, 85, 95)

Grain = Literal["day", "week", "month", "quarter"]
GRAINS: tuple[Grain, ...] = get_args(Grain)
_UNIT = {"day": "D", "week": "W", "month": "M", "quarter": "Q"}


def seconds_between(start: ir.TimestampValue, end: ir.TimestampValue) -> ir.IntegerValue:
    """Whole seconds from `start` to `end` (Spark's epoch seconds drop the fraction DuckDB keeps)."""
    result: ir.IntegerValue = (
        end.truncate("s").epoch_seconds() - start.truncate("s").epoch_seconds()
    )
    return result


def days_between(start: ir.TimestampValue, end: ir.TimestampValue) -> ir.FloatingValue:
    """Days from `start` to `end`, counted in whole seconds.

    >>> days_between(t.created_at, t.resolved_at)  # doctest: +SKIP
    """
    result: ir.FloatingValue = seconds_between(start, end) / SECONDS_PER_DAY
    return result


def hours_between(start: ir.TimestampValue, end: ir.TimestampValue) -> ir.FloatingValue:
    """Hours from `start` to `end`, counted in whole seconds.

    The cast matters: Spark types a float literal as a decimal, and bigint over
    decimal stays a decimal of six places; a double over it stays a double.
    """
    result: ir.FloatingValue = seconds_between(start, end).cast("float64") / 3600
    return result


def period(ts: ir.TimestampValue, grain: Grain) -> ir.TimestampValue:
    """The first instant of the day, ISO week (Monday), month or quarter holding `ts`."""
    result: ir.TimestampValue = ts.truncate(_UNIT[grain])
    return result


def percentiles(values: ir.NumericColumn, prefix: str = "p") -> dict[str, ir.FloatingScalar]:
    """Aggregations p50, p70, p85, p95 of `values`, interpolated linearly."""
    return {f"{prefix}{p}": values.quantile(p / 100) for p in PERCENTILES}
