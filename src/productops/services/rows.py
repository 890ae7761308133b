"""Rows of an analytics table as typed records: the one way a read service executes an Ibis
table, filtered to a team and a range of periods, into frozen dataclasses whose fields are the
command line's `-f json` columns and the API's fields."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import fields
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from productops.services.periods import Periods

__all__ = ["columns", "of_team", "records", "typed"]

T = TypeVar("T")


def columns(kind: type[Any]) -> list[str]:
    """The fields of dataclass `kind`, in order: a table's columns."""
    return [f.name for f in fields(kind)]


def _utc(value: Any) -> Any:
    """A timestamp as UTC (the canonical tables' naive times are UTC, DESIGN.md)."""
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def typed(rows: Iterable[Mapping[str, Any]], kind: type[T]) -> list[T]:
    """Each row as a `kind` (a dataclass), its times in UTC; other keys are left out."""
    names = columns(kind)
    return [kind(**{n: _utc(row.get(n)) for n in names}) for row in rows]


def of_team(expr: ir.Table, team: str | None) -> ir.Table:
    """Only `team`'s rows of `expr` (its `team_id`, else its `blocked_team`); None: every row."""
    if team is None:
        return expr
    return expr.filter(expr["team_id" if "team_id" in expr.columns else "blocked_team"] == team)


def records(expr: ir.Table, kind: type[T], periods: Periods | None = None) -> list[T]:
    """Execute `expr` as `kind` records; with `periods`, only its team's rows (`of_team`) and,
    when `expr` has `period_start`, the periods starting in [`since`, `until`)."""
    if periods is not None:
        expr = of_team(expr, periods.team)
        if periods.since is not None and "period_start" in expr.columns:
            expr = expr.filter(expr.period_start >= periods.since)
        if periods.until is not None and "period_start" in expr.columns:
            expr = expr.filter(expr.period_start < periods.until)
    return typed(expr.to_pyarrow().to_pylist(), kind)
