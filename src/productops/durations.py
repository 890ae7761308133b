"""Durations and periods, the same on every backend."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, get_args

import ibis
import ibis.expr.datatypes as dt

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


@ibis.udf.scalar.builtin(name="unix_micros")  # type: ignore[untyped-decorator]
def _unix_micros(ts: dt.Timestamp(timezone="UTC")) -> int:  # type: ignore[empty-body, valid-type]
    """Microseconds since 1970-01-01 UTC: Spark's unix_micros, which Ibis writes as DuckDB's epoch_us."""


def seconds_between(start: ir.TimestampValue, end: ir.TimestampValue) -> ir.IntegerValue:
    """Whole seconds from `start` to `end`: the difference of their epoch seconds rounded down.

    Integer arithmetic on epoch microseconds, the same on every backend. Truncating the
    TIMESTAMPTZ values or casting them to TIMESTAMP (what `truncate("s").epoch_seconds()`
    compiles to) goes through ICU's calendar on DuckDB, tens of times slower.
    """
    result: ir.IntegerValue = _unix_micros(end) // 1_000_000 - _unix_micros(start) // 1_000_000
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
