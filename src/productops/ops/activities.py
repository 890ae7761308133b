"""Activities per team and period: workshops, insight sessions, trainings, tools onboarded,
retrospectives and process reviews, onboarding of new members (docs/surveys.md#activities).

Retrospectives and process reviews keep what they found in `notes`, one line
per finding: `Bottleneck: ...`, `Action: ...`, `Done: ...` (what
`productops activity log` writes), until the schema has fields for them.

>>> activity_counts(b.table("activity"), "quarter").execute()  # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import ibis

from productops.durations import Grain, days_between, period

if TYPE_CHECKING:
    import ibis.expr.types as ir

__all__ = [
    "ACTION_MARK",
    "BOTTLENECK_MARK",
    "DONE_MARK",
    "activity_counts",
    "onboarding_time",
    "retrospectives",
]

BOTTLENECK_MARK = "Bottleneck: "
ACTION_MARK = "Action: "
DONE_MARK = "Done: "


def activity_counts(activity: ir.Table, grain: Grain = "quarter") -> ir.Table:
    """Activities held per team, period (of `held_at`) and kind, with their attendees.

    Kinds: workshop, insight_session, training, tool_onboarding,
    retrospective, process_review, onboarding. Returns `team_id,
    period_start, kind, activities, attendees` (attendees summed where known).
    """
    a = activity.mutate(period_start=period(activity.held_at, grain))
    return (
        a.group_by("team_id", "period_start", "kind")
        .aggregate(activities=a.count(), attendees=a.attendees.sum())
        .order_by("team_id", "period_start", "kind")
    )


def onboarding_time(activity: ir.Table, grain: Grain = "quarter") -> ir.Table:
    """Days from start (`held_at`) to productive (`ended_at`) of new members, per team and period.

    Members count in the period they became productive; those still
    onboarding (no `ended_at`) are left out. Returns `team_id, period_start,
    members, median_days, mean_days, max_days`.
    """
    a = activity.filter(
        (activity.kind == "onboarding") & activity.ended_at.notnull() & activity.held_at.notnull()
    )
    a = a.mutate(days=days_between(a.held_at, a.ended_at), period_start=period(a.ended_at, grain))
    return (
        a.group_by("team_id", "period_start")
        .aggregate(
            members=a.count(),
            median_days=a.days.quantile(0.5),
            mean_days=a.days.mean(),
            max_days=a.days.max(),
        )
        .order_by("team_id", "period_start")
    )


def _lines(notes: ir.StringValue, mark: str) -> ir.IntegerValue:
    """How many times `mark` starts a finding in `notes` (0 for no notes)."""
    text = notes.fill_null("")
    found: ir.IntegerValue = (text.length() - text.replace(mark, "").length()) // len(mark)
    return found


def retrospectives(activity: ir.Table, grain: Grain = "quarter") -> ir.Table:
    """Retrospectives and process reviews per team, period and kind, with what they found.

    `with_bottleneck` counts sessions that named at least one bottleneck,
    `actions` the actions agreed, `done` the actions marked done, and
    `done_share` done / actions. Returns `team_id, period_start, kind, held,
    with_bottleneck, actions, done, done_share`.
    """
    a = activity.filter(activity.kind.isin(("retrospective", "process_review")))
    a = a.mutate(
        period_start=period(a.held_at, grain),
        bottlenecks=_lines(a.notes, BOTTLENECK_MARK),
        actions=_lines(a.notes, ACTION_MARK),
        done=_lines(a.notes, DONE_MARK),
    )
    g = a.group_by("team_id", "period_start", "kind").aggregate(
        held=a.count(),
        with_bottleneck=(a.bottlenecks > 0).sum(),
        actions=a.actions.sum(),
        done=a.done.sum(),
    )
    return g.mutate(
        done_share=ibis.ifelse(
            g.actions > 0, g.done.cast("float64") / g.actions.cast("float64"), None
        )
    ).order_by("team_id", "period_start", "kind")
