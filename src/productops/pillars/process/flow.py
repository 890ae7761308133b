"""Delivery flow per team and period (definitions: docs/metrics.md#flow)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, get_args

from productops.pillars.durations import days_between

if TYPE_CHECKING:
    import ibis.expr.types as ir

__all__ = ["GRAINS", "Grain", "lead_time", "throughput"]

Grain = Literal["day", "week", "month", "quarter"]
GRAINS: tuple[Grain, ...] = get_args(Grain)
_UNIT = {"day": "D", "week": "W", "month": "M", "quarter": "Q"}
PERCENTILES = (50, 70, 85, 95)


def _done(work_item: ir.Table) -> ir.Table:
    return work_item.filter((work_item.status_category == "done") & work_item.resolved_at.notnull())


def lead_time(work_item: ir.Table, grain: Grain = "month") -> ir.Table:
    """Lead time in days, created to resolved, of items done in each period, per team.

    Returns `team_id, period_start, items, p50, p70, p85, p95`, percentiles by
    linear interpolation.

    >>> lead_time(backend.table("work_item"), "quarter").execute()  # doctest: +SKIP
    """
    done = _done(work_item)
    days = days_between(done.created_at, done.resolved_at)
    done = done.mutate(days=days, period_start=done.resolved_at.truncate(_UNIT[grain]))
    return (
        done.group_by("team_id", "period_start")
        .aggregate(
            items=done.count(),
            **{f"p{p}": done.days.quantile(p / 100) for p in PERCENTILES},
        )
        .order_by("team_id", "period_start")
    )


def throughput(work_item: ir.Table, grain: Grain = "week") -> ir.Table:
    """Items done per team and period: `team_id, period_start, items`.

    >>> throughput(backend.table("work_item"), "week").execute()  # doctest: +SKIP
    """
    done = _done(work_item)
    done = done.mutate(period_start=done.resolved_at.truncate(_UNIT[grain]))
    return (
        done.group_by("team_id", "period_start")
        .aggregate(items=done.count())
        .order_by("team_id", "period_start")
    )
