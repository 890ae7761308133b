"""Cross-team dependencies: work blocked by other teams' items (docs/metrics.md#dependencies)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import ibis

from productops.durations import SECONDS_PER_DAY, Grain, period, seconds_between

if TYPE_CHECKING:
    import ibis.expr.types as ir

__all__ = ["blocking_pairs", "cross_team_blocks", "dependency_delays"]


def cross_team_blocks(work_item: ir.Table, link: ir.Table, as_of: datetime) -> ir.Table:
    """Every `blocks` link between items of two teams, with how long it held the blocked item.

    The blocked item waits from its creation until the blocker is resolved (or
    `as_of`), but no longer than until it is resolved itself. Returns
    `blocker_id, blocking_team, blocked_id, blocked_team, blocked_until, blocked_days, delayed`.
    """
    now = ibis.timestamp(as_of)
    blocks = link.filter(link.type == "blocks")
    blocker = work_item.select(
        blocker_id=work_item.id, blocking_team=work_item.team_id, blocker_done=work_item.resolved_at
    )
    blocked = work_item.select(
        blocked_id=work_item.id,
        blocked_team=work_item.team_id,
        blocked_created=work_item.created_at,
        blocked_done=work_item.resolved_at,
    )
    pairs = blocks.join(blocker, blocks.from_id == blocker.blocker_id).join(
        blocked, blocks.to_id == blocked.blocked_id
    )
    pairs = pairs.filter(pairs.blocking_team != pairs.blocked_team)
    until = ibis.least(pairs.blocker_done.fill_null(now), pairs.blocked_done.fill_null(now))
    seconds = ibis.greatest(seconds_between(pairs.blocked_created, until), 0)
    return pairs.select(
        "blocker_id",
        "blocking_team",
        "blocked_id",
        "blocked_team",
        blocked_until=until,
        blocked_days=seconds / SECONDS_PER_DAY,
        delayed=seconds > 0,
    )


def dependency_delays(blocks: ir.Table, grain: Grain = "month") -> ir.Table:
    """Per blocked team and period (of the block's end): items delayed by other teams and days lost.

    `blocks` is `cross_team_blocks(...)`. Returns `team_id, period_start,
    items_delayed, blocked_days` (summed over the blocking links).
    """
    b = blocks.filter(blocks.delayed)
    b = b.mutate(period_start=period(b.blocked_until, grain))
    return (
        b.group_by(team_id=b.blocked_team, period_start=b.period_start)
        .aggregate(items_delayed=b.blocked_id.nunique(), blocked_days=b.blocked_days.sum())
        .order_by("team_id", "period_start")
    )


def blocking_pairs(blocks: ir.Table) -> ir.Table:
    """Team pairs ranked by the days one team's items held the other's.

    Returns `blocking_team, blocked_team, links, items_delayed, blocked_days`, most first.
    """
    return (
        blocks.group_by("blocking_team", "blocked_team")
        .aggregate(
            links=blocks.count(),
            items_delayed=blocks.blocked_id.nunique(where=blocks.delayed),
            blocked_days=blocks.blocked_days.sum(),
        )
        .order_by(ibis.desc("blocked_days"), "blocking_team", "blocked_team")
    )
