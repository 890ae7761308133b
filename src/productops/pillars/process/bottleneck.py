"""Where work waits: status shares, the bottleneck and flow efficiency (docs/metrics.md#bottleneck)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

import ibis

from productops.durations import SECONDS_PER_DAY, Grain, period, seconds_between
from productops.pillars.process.stays import ACTIVE

if TYPE_CHECKING:
    import ibis.expr.types as ir

__all__ = ["DEFAULT_WAIT_STATUSES", "bottleneck", "flow_efficiency", "status_share"]

# Statuses in which work waits for someone rather than being worked on (compared lower-cased).
DEFAULT_WAIT_STATUSES = (
    "in review",
    "code review",
    "ready for review",
    "waiting for review",
    "ready for qa",
    "ready for release",
    "ready to deploy",
    "waiting",
    "blocked",
    "on hold",
)


def _done_active_stays(stays: ir.Table, work_item: ir.Table, grain: Grain) -> ir.Table:
    """In-progress stays of done items, with the period the item was resolved in."""
    done = work_item.filter((work_item.status_category == "done") & work_item.resolved_at.notnull())
    done = done.select(item=done.id, period_start=period(done.resolved_at, grain))
    active = stays.filter((stays.category == ACTIVE) & stays.seconds.notnull())
    return active.join(done, active.work_item_id == done.item)


def status_share(stays: ir.Table, work_item: ir.Table, grain: Grain = "month") -> ir.Table:
    """Share of in-progress time each status holds, over the items a team finished in a period.

    Returns `team_id, period_start, status, items, days, share, previous_share`,
    `previous_share` being the same status's share in the team's previous period.
    """
    active = _done_active_stays(stays, work_item, grain)
    per_status = active.group_by("team_id", "period_start", "status").aggregate(
        items=active.work_item_id.nunique(), seconds=active.seconds.sum()
    )
    team_total = ibis.window(group_by=[per_status.team_id, per_status.period_start])
    history = ibis.window(
        group_by=[per_status.team_id, per_status.status], order_by=per_status.period_start
    )
    share = per_status.seconds / per_status.seconds.sum().over(team_total)
    per_status = per_status.mutate(days=per_status.seconds / SECONDS_PER_DAY, share=share)
    return per_status.select(
        "team_id",
        "period_start",
        "status",
        "items",
        "days",
        "share",
        previous_share=per_status.share.lag().over(history),
    ).order_by("team_id", "period_start", ibis.desc("share"))


def bottleneck(
    stays: ir.Table,
    work_item: ir.Table,
    grain: Grain = "month",
    wait_statuses: Sequence[str] = DEFAULT_WAIT_STATUSES,
) -> ir.Table:
    """The wait status holding the largest share of waiting time, per team and period, and its trend.

    Over the items a team finished in a period: `share_of_waiting` is the
    status's part of all time in wait statuses, `share_of_cycle` its part of
    all in-progress time; `trend` is `share_of_cycle` minus the same status's
    share in the team's previous period (positive: the bottleneck grew).
    Returns `team_id, period_start, status, items, days, share_of_waiting,
    share_of_cycle, previous_share_of_cycle, trend`.
    """
    active = _done_active_stays(stays, work_item, grain)
    waits = [w.lower() for w in wait_statuses]
    per_status = active.group_by("team_id", "period_start", "status").aggregate(
        items=active.work_item_id.nunique(), seconds=active.seconds.sum()
    )
    per_status = per_status.mutate(waiting=per_status.status.lower().isin(waits))
    team = ibis.window(group_by=[per_status.team_id, per_status.period_start])
    cycle = per_status.seconds.sum().over(team)
    waiting = per_status.seconds.sum(where=per_status.waiting).over(team)
    per_status = per_status.mutate(share_of_cycle=per_status.seconds / cycle, waiting_total=waiting)
    history = ibis.window(
        group_by=[per_status.team_id, per_status.status], order_by=per_status.period_start
    )
    per_status = per_status.mutate(previous=per_status.share_of_cycle.lag().over(history))
    waits_only = per_status.filter(per_status.waiting)
    top = ibis.window(
        group_by=[waits_only.team_id, waits_only.period_start],
        order_by=[ibis.desc(waits_only.seconds), waits_only.status],
    )
    waits_only = waits_only.mutate(rank=ibis.row_number().over(top))
    found = waits_only.filter(waits_only.rank == 0)
    return found.select(
        "team_id",
        "period_start",
        "status",
        "items",
        days=found.seconds / SECONDS_PER_DAY,
        share_of_waiting=found.seconds / found.waiting_total,
        share_of_cycle=found.share_of_cycle,
        previous_share_of_cycle=found.previous,
        trend=found.share_of_cycle - found.previous,
    ).order_by("team_id", "period_start")


def flow_efficiency(
    stays: ir.Table,
    work_item: ir.Table,
    flag: ir.Table,
    as_of: datetime,
    grain: Grain = "month",
    wait_statuses: Sequence[str] = DEFAULT_WAIT_STATUSES,
) -> ir.Table:
    """Active time over cycle time of the items a team finished in a period.

    Cycle time is the time in in-progress statuses. Of it, time in a wait
    status is waiting, and so is time flagged or blocked (`work_item_flag`)
    during the other in-progress statuses; the rest is active. Returns
    `team_id, period_start, items, cycle_days, waiting_days, active_days, efficiency` (0-1).
    """
    active = _done_active_stays(stays, work_item, grain)
    waits = [w.lower() for w in wait_statuses]
    active = active.select(
        "work_item_id",
        "team_id",
        "period_start",
        "entered_at",
        "left_at",
        "seconds",
        waiting=active.status.lower().isin(waits),
    )
    working = active.filter(~active.waiting)
    flags = flag.select(
        flag_item=flag.work_item_id,
        flag_start=flag.started_at,
        flag_end=flag.ended_at.fill_null(ibis.timestamp(as_of)),
    )
    # Only the flags that overlap a stay (the others would add 0).
    pairs = working.join(
        flags,
        [
            working.work_item_id == flags.flag_item,
            working.left_at.isnull() | (flags.flag_start < working.left_at),
            flags.flag_end > working.entered_at,
        ],
    )
    start = ibis.greatest(pairs.entered_at, pairs.flag_start)
    end = ibis.least(pairs.left_at, pairs.flag_end)
    pairs = pairs.mutate(overlap=ibis.greatest(seconds_between(start, end), 0))
    # A stay is its item and the instant it began (a stay sharing that instant with the
    # next one lasts 0 s, so the cap below gives it no flagged time).
    flagged = pairs.group_by(
        flagged_item=pairs.work_item_id, flagged_from=pairs.entered_at
    ).aggregate(flagged=pairs.overlap.sum())
    active = active.left_join(
        flagged,
        [active.work_item_id == flagged.flagged_item, active.entered_at == flagged.flagged_from],
    )
    flagged_seconds = ibis.least(active.flagged.fill_null(0), active.seconds)
    waiting = ibis.ifelse(active.waiting, active.seconds, flagged_seconds)
    active = active.mutate(waiting_seconds=waiting)
    totals = active.group_by("team_id", "period_start").aggregate(
        items=active.work_item_id.nunique(),
        cycle=active.seconds.sum(),
        waiting=active.waiting_seconds.sum(),
    )
    return totals.select(
        "team_id",
        "period_start",
        "items",
        cycle_days=totals.cycle / SECONDS_PER_DAY,
        waiting_days=totals.waiting / SECONDS_PER_DAY,
        active_days=(totals.cycle - totals.waiting) / SECONDS_PER_DAY,
        efficiency=ibis.ifelse(
            totals.cycle > 0, (totals.cycle - totals.waiting) / totals.cycle, None
        ),
    ).order_by("team_id", "period_start")
