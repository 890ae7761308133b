"""Durations between timestamps, the same on every backend."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import ibis.expr.types as ir

__all__ = ["SECONDS_PER_DAY", "days_between"]

SECONDS_PER_DAY = 86_400


def days_between(start: ir.TimestampValue, end: ir.TimestampValue) -> ir.FloatingValue:
    """Days from `start` to `end`, counted in whole seconds.

    Whole seconds because Spark's epoch seconds drop the fraction that DuckDB keeps.

    >>> days_between(t.created_at, t.resolved_at)  # doctest: +SKIP
    """
    seconds = end.truncate("s").epoch_seconds() - start.truncate("s").epoch_seconds()
    result: ir.FloatingValue = seconds / SECONDS_PER_DAY
    return result
