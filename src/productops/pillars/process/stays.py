"""Status stays: how long each work item spent in each status (docs/metrics.md#time_in_status)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import ibis

from productops.durations import SECONDS_PER_DAY, seconds_between

if TYPE_CHECKING:
    import ibis.expr.types as ir

__all__ = ["ACTIVE", "TERMINAL", "status_stays", "time_in_status"]

ACTIVE = "in_progress"
TERMINAL = ("done", "cancelled")


def status_stays(work_item: ir.Table, transition: ir.Table, as_of: datetime) -> ir.Table:
    """One row per stay of an item in a status.

    A stay runs from the transition into a status to the next transition of the
    item; before the first transition the item stays in that transition's
    `from_status` since `created_at`. The last stay of an item that is not done
    or cancelled runs until `as_of`; the last stay in a done or cancelled
    status has no end and counts no time.

    Returns `work_item_id, team_id, status, category, entered_at, left_at, seconds`.

    >>> status_stays(b.table("work_item"), b.table("work_item_transition"), now)  # doctest: +SKIP
    """
    t = transition
    order = ibis.window(group_by=t.work_item_id, order_by=[t.changed_at, t.to_status])
    moves = t.select(
        "work_item_id",
        status=t.to_status,
        category=t.to_category,
        entered_at=t.changed_at,
        left_at=t.changed_at.lead().over(order),
        from_status=t.from_status,
        first=ibis.row_number().over(order) == 0,
    )
    category_of = t.group_by(known=t.to_status).aggregate(known_category=t.to_category.max())
    items = work_item.select(
        item_id=work_item.id, team_id=work_item.team_id, created_at=work_item.created_at
    )
    m = moves.join(items, moves.work_item_id == items.item_id)
    # Each move gives its own stay and, the first one, the stay before it: one pass over the
    # moves (a union of two reads of them made Spark sort and number them twice).
    sides = m.cross_join(ibis.memtable({"initial": [False, True]}))
    before = sides.first & sides.from_status.notnull() & (sides.entered_at > sides.created_at)
    sides = sides.filter(~sides.initial | before)
    sides = sides.left_join(category_of, sides.initial & (sides.from_status == category_of.known))
    initial = sides.initial
    stays = sides.select(
        "work_item_id",
        "team_id",
        status=ibis.ifelse(initial, sides.from_status, sides.status),
        category=ibis.ifelse(initial, sides.known_category, sides.category),
        entered_at=ibis.ifelse(initial, sides.created_at, sides.entered_at),
        left_at=ibis.ifelse(initial, sides.entered_at, sides.left_at),
    )
    end = ibis.ifelse(
        stays.left_at.isnull() & ~stays.category.isin(TERMINAL),
        ibis.timestamp(as_of),
        stays.left_at,
    )
    return stays.select(
        "work_item_id",
        "team_id",
        "status",
        "category",
        "entered_at",
        "left_at",
        seconds=seconds_between(stays.entered_at, end),
    )


def time_in_status(stays: ir.Table) -> ir.Table:
    """Days each item spent in each status, re-entries summed: `work_item_id, team_id, status, category, days, entries`."""
    counted = stays.filter(stays.seconds.notnull())
    return counted.group_by("work_item_id", "team_id", "status", "category").aggregate(
        days=counted.seconds.sum() / SECONDS_PER_DAY, entries=counted.count()
    )
