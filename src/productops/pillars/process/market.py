"""Time-to-market of features, and of those that address customer insights (docs/metrics.md#time_to_market)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from productops.durations import Grain, days_between, period

if TYPE_CHECKING:
    import ibis.expr.types as ir

__all__ = ["FEATURE_TYPES", "time_to_market"]

FEATURE_TYPES = ("feature", "story", "epic")


def time_to_market(
    work_item: ir.Table, feedback_link: ir.Table, grain: Grain = "quarter"
) -> ir.Table:
    """Days from creation to release of the features released in each period, per team.

    A feature is a work item of type feature, story or epic; it addresses a
    customer insight when at least one confirmed `feedback_link` points to it.
    Returns `team_id, period_start, features, p50_days, p85_days,
    insight_features, insight_p50_days, insight_p85_days`.
    """
    f = work_item.filter(
        work_item.type.lower().isin(FEATURE_TYPES) & work_item.released_at.notnull()
    )
    confirmed = feedback_link.filter(feedback_link.state == "confirmed")
    linked = confirmed.select(linked_id=confirmed.work_item_id).distinct()
    f = f.left_join(linked, f.id == linked.linked_id)
    f = f.mutate(
        period_start=period(f.released_at, grain),
        days=days_between(f.created_at, f.released_at),
        insight=f.linked_id.notnull(),
    )
    return (
        f.group_by("team_id", "period_start")
        .aggregate(
            features=f.count(),
            p50_days=f.days.quantile(0.5),
            p85_days=f.days.quantile(0.85),
            insight_features=f.insight.sum(),
            insight_p50_days=f.days.quantile(0.5, where=f.insight),
            insight_p85_days=f.days.quantile(0.85, where=f.insight),
        )
        .order_by("team_id", "period_start")
    )
