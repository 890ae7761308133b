"""Workflow conformance: each item's path against a standard workflow (docs/metrics.md#conformance)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import ibis

from productops.durations import Grain, period

if TYPE_CHECKING:
    import ibis.expr.types as ir

__all__ = [
    "STANDARD_WORKFLOW",
    "Workflow",
    "common_deviations",
    "conformance",
    "deviating_items",
    "deviations",
]


@dataclass(frozen=True)
class Workflow:
    """A standard workflow: statuses in order, the optional ones, and extra allowed moves.

    Moving forward without jumping over a status that is not optional is
    allowed, and so is moving into a cancelled status. Names compare
    case-insensitively.
    """

    statuses: tuple[str, ...] = ("To Do", "In Progress", "In Review", "QA", "Done")
    optional: tuple[str, ...] = ("QA",)
    allowed: tuple[tuple[str, str], ...] = ()
    threshold: float = 0.8


STANDARD_WORKFLOW = Workflow()


def deviations(
    work_item: ir.Table, transition: ir.Table, workflow: Workflow = STANDARD_WORKFLOW
) -> ir.Table:
    """Every move of an item that leaves the standard workflow, one row per deviation.

    Kinds: `unknown status X` (not in the workflow), `reopened` (out of a done
    status), `moved backwards`, and `skipped X` for each status jumped over.
    Returns `work_item_id, team_id, changed_at, from_status, to_status, deviation`.
    """
    t = _ranked(transition, workflow)
    kind = ibis.cases(
        (t.allowed_move, None),
        (t.to_rank.isnull(), "unknown status " + t.to_status),
        (t.from_rank.isnull(), None),
        (t.from_done & (t.to_rank < t.from_rank), "reopened"),
        (t.to_rank < t.from_rank, "moved backwards"),
        else_=None,
    )
    columns = ["work_item_id", "changed_at", "from_status", "to_status"]
    single = t.select(*columns, deviation=kind).filter(lambda r: r.deviation.notnull())
    optional = {o.lower() for o in workflow.optional}
    required = [(i, s) for i, s in enumerate(workflow.statuses) if s.lower() not in optional]
    steps = ibis.memtable({"step_rank": [i for i, _ in required], "step": [s for _, s in required]})
    jumps = t.filter(~t.allowed_move & t.from_rank.notnull() & (t.to_rank > t.from_rank + 1))
    skipped = jumps.cross_join(steps).filter(
        lambda r: (r.step_rank > r.from_rank) & (r.step_rank < r.to_rank)
    )
    skipped = skipped.select(*columns, deviation="skipped " + skipped.step)
    # The owner's team is looked up for the deviations only, not for every move.
    found = single.union(skipped)
    owners = work_item.select(item=work_item.id, team_id=work_item.team_id)
    found = found.join(owners, found.work_item_id == owners.item)
    return found.select("work_item_id", "team_id", *columns[1:], "deviation")


def deviating_items(transition: ir.Table, workflow: Workflow = STANDARD_WORKFLOW) -> ir.Table:
    """The items with at least one deviation (as `deviations` finds them), in one pass over the
    moves: what `conformance` reads, without naming each deviation or its team.

    Returns `work_item_id`, once per item.
    """
    t = _ranked(transition, workflow)
    optional = {o.lower() for o in workflow.optional}
    skipped = ibis.literal(False)
    for i, status in enumerate(workflow.statuses):
        if status.lower() not in optional:
            skipped = skipped | ((t.from_rank < i) & (t.to_rank > i))
    single = ~t.allowed_move.fill_null(False) & (t.to_rank.isnull() | (t.to_rank < t.from_rank))
    deviates = single | (~t.allowed_move & skipped)
    return t.filter(deviates.fill_null(False)).select("work_item_id").distinct()


def _ranked(transition: ir.Table, workflow: Workflow) -> ir.Table:
    """The moves out of a status, with both statuses' ranks in the workflow (null: not in it),
    whether the workflow allows the move (a cancel always is), and whether it leaves done."""
    names = [s.lower() for s in workflow.statuses]
    allowed = [(a.lower(), b.lower()) for a, b in workflow.allowed]
    t = transition.filter(transition.from_status.notnull())
    src, dst = t.from_status.lower(), t.to_status.lower()
    return t.mutate(
        from_rank=_rank(src, names),
        to_rank=_rank(dst, names),
        allowed_move=_in_pairs(src, dst, allowed) | (t.to_category == "cancelled"),
        from_done=src == names[-1],
    )


def _rank(status: ir.StringValue, names: Sequence[str]) -> ir.IntegerValue:
    rank: ir.IntegerValue = ibis.cases(
        *((status == name, i) for i, name in enumerate(names)), else_=ibis.null("int64")
    )
    return rank


def _in_pairs(
    src: ir.StringValue, dst: ir.StringValue, pairs: Sequence[tuple[str, str]]
) -> ir.BooleanValue:
    result: ir.BooleanValue = ibis.literal(False)
    for a, b in pairs:
        result = result | ((src == a) & (dst == b))
    return result


def conformance(
    work_item: ir.Table,
    found: ir.Table,
    grain: Grain = "month",
    workflow: Workflow = STANDARD_WORKFLOW,
) -> ir.Table:
    """Share of the items a team finished in a period whose whole path followed the workflow.

    `found` is `deviations(...)` or `deviating_items(...)`. A team conforms in a period when the share
    reaches `workflow.threshold`. Returns `team_id, period_start, items,
    conforming, share, team_conforms`.
    """
    done = work_item.filter((work_item.status_category == "done") & work_item.resolved_at.notnull())
    deviating = found.select(deviating_id=found.work_item_id).distinct()
    done = done.left_join(deviating, done.id == deviating.deviating_id)
    done = done.mutate(period_start=period(done.resolved_at, grain), ok=done.deviating_id.isnull())
    counts = done.group_by("team_id", "period_start").aggregate(
        items=done.count(), conforming=done.ok.sum()
    )
    share = counts.conforming / counts.items
    return counts.mutate(share=share, team_conforms=share >= workflow.threshold).order_by(
        "team_id", "period_start"
    )


def common_deviations(found: ir.Table) -> ir.Table:
    """Deviations ranked by how many items made them: `deviation, items, teams, moves`."""
    return (
        found.group_by("deviation")
        .aggregate(
            items=found.work_item_id.nunique(), teams=found.team_id.nunique(), moves=found.count()
        )
        .order_by(ibis.desc("items"), "deviation")
    )
