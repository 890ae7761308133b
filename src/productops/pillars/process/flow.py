"""Delivery flow per team and period (definitions: docs/metrics.md#flow)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import ibis

from productops.durations import SECONDS_PER_DAY, Grain, days_between, percentiles, period
from productops.pillars.process.rates import as_of_utc, per_week, until
from productops.pillars.process.stays import ACTIVE

if TYPE_CHECKING:
    import ibis.expr.types as ir

__all__ = ["aging_wip", "cycle_time", "flow_items", "lead_time", "throughput", "wip"]


def _done(work_item: ir.Table) -> ir.Table:
    return work_item.filter((work_item.status_category == "done") & work_item.resolved_at.notnull())


def flow_items(work_item: ir.Table, stays: ir.Table) -> ir.Table:
    """One row per work item: its lead time, cycle time and number of status changes.

    `lead_time_days` is set for done items; `cycle_time_days` sums the item's
    stays in in-progress statuses (re-entries included), so far for open items.
    Returns `work_item_id, team_id, type, status, status_category, created_at,
    started_at, resolved_at, lead_time_days, cycle_time_days, status_changes`.
    """
    per_item = stays.group_by(item=stays.work_item_id).aggregate(
        active_seconds=stays.seconds.sum(where=stays.category == ACTIVE),
        stays=stays.count(),
    )
    w = work_item
    joined = w.left_join(per_item, w.id == per_item.item)
    done = (joined.status_category == "done") & joined.resolved_at.notnull()
    return joined.select(
        work_item_id=joined.id,
        team_id=joined.team_id,
        type=joined.type,
        status=joined.status,
        status_category=joined.status_category,
        created_at=joined.created_at,
        started_at=joined.started_at,
        resolved_at=joined.resolved_at,
        lead_time_days=ibis.ifelse(done, days_between(joined.created_at, joined.resolved_at), None),
        cycle_time_days=joined.active_seconds.fill_null(0) / SECONDS_PER_DAY,
        status_changes=ibis.greatest(joined.stays.fill_null(1) - 1, 0),
    )


def lead_time(work_item: ir.Table, grain: Grain = "month") -> ir.Table:
    """Lead time in days, created to resolved, of items done in each period, per team.

    Returns `team_id, period_start, items, p50, p70, p85, p95`.

    >>> lead_time(backend.table("work_item"), "quarter").execute()  # doctest: +SKIP
    """
    done = _done(work_item)
    done = done.mutate(
        days=days_between(done.created_at, done.resolved_at),
        period_start=period(done.resolved_at, grain),
    )
    return (
        done.group_by("team_id", "period_start")
        .aggregate(items=done.count(), **percentiles(done.days))
        .order_by("team_id", "period_start")
    )


def cycle_time(items: ir.Table, grain: Grain = "month") -> ir.Table:
    """Cycle time in days (time in in-progress statuses) of items done in each period, per team.

    `items` is `flow_items(...)`. Returns `team_id, period_start, items, p50, p70, p85, p95`.
    """
    done = items.filter((items.status_category == "done") & items.resolved_at.notnull())
    done = done.mutate(period_start=period(done.resolved_at, grain))
    return (
        done.group_by("team_id", "period_start")
        .aggregate(items=done.count(), **percentiles(done.cycle_time_days))
        .order_by("team_id", "period_start")
    )


def throughput(
    work_item: ir.Table, grain: Grain = "week", as_of: datetime | None = None
) -> ir.Table:
    """Items done per team and period up to `as_of` (default: now), and per week.

    `per_week` is over the period's length (months and quarters at their average),
    or, for the period still running at `as_of` (`partial`), over its elapsed part.
    Returns `team_id, period_start, items, per_week, partial`.

    >>> throughput(backend.table("work_item"), "week").execute()  # doctest: +SKIP
    """
    moment = as_of_utc(as_of)
    done = until(_done(work_item), "resolved_at", moment)
    done = done.mutate(period_start=period(done.resolved_at, grain))
    counts = done.group_by("team_id", "period_start").aggregate(items=done.count())
    rate, partial = per_week(counts, counts.items, grain, moment)
    return counts.mutate(per_week=rate, partial=partial).order_by("team_id", "period_start")


def wip(work_item: ir.Table, grain: Grain = "week") -> ir.Table:
    """Work in progress at the end of each period with a start or a finish, per team.

    An item is in progress from `started_at` until `resolved_at`. Returns
    `team_id, period_start, wip` (items).
    """
    w = work_item.filter(work_item.started_at.notnull())
    starts = w.select("team_id", period_start=period(w.started_at, grain), delta=ibis.literal(1))
    ends = w.filter(w.resolved_at.notnull())
    ends = ends.select(
        "team_id", period_start=period(ends.resolved_at, grain), delta=ibis.literal(-1)
    )
    events = starts.union(ends)
    # Every start and finish of a period is at or before its last one, so the WIP after
    # that last event is the running sum of the periods' net starts.
    net = events.group_by("team_id", "period_start").aggregate(delta=events.delta.sum())
    running = ibis.cumulative_window(group_by=net.team_id, order_by=net.period_start)
    return net.select("team_id", "period_start", wip=net.delta.sum().over(running)).order_by(
        "team_id", "period_start"
    )


def aging_wip(items: ir.Table, as_of: datetime) -> ir.Table:
    """Items in progress at `as_of`, their age in days against the team's cycle-time percentiles.

    Age is `as_of` minus `started_at`; `band` says which of the team's
    historical cycle-time percentiles (of all done items) the age has passed:
    `under p50`, `p50-p85`, `p85-p95` or `over p95`. `items` is `flow_items(...)`.
    """
    done = items.filter(items.status_category == "done")
    history = done.group_by(team=done.team_id).aggregate(**percentiles(done.cycle_time_days))
    open_ = items.filter((items.status_category == ACTIVE) & items.started_at.notnull())
    open_ = open_.join(history, open_.team_id == history.team, how="left")
    age = days_between(open_.started_at, ibis.timestamp(as_of))
    band = ibis.cases(
        (age <= open_.p50, "under p50"),
        (age <= open_.p85, "p50-p85"),
        (age <= open_.p95, "p85-p95"),
        else_="over p95",
    )
    return open_.select(
        "work_item_id",
        "team_id",
        "status",
        "started_at",
        age_days=age,
        p50="p50",
        p85="p85",
        p95="p95",
        band=band,
    ).order_by(ibis.desc("age_days"))
