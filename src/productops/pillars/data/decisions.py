"""Decision-log metrics per team and period of the decision (definitions: docs/decisions.md).

>>> decisions_informed(b.table("decision"), b.table("decision_evidence"), "quarter")  # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from productops.durations import Grain, period

if TYPE_CHECKING:
    import ibis.expr.types as ir

__all__ = ["decisions_informed", "outcomes_met"]


def _decided(decision: ir.Table, evidence: ir.Table, grain: Grain) -> ir.Table:
    """Decisions with a decision date: team, period and whether any evidence backs them."""
    cited = evidence.select(cited=evidence.decision_id).distinct()
    d = decision.filter(decision.decided_at.notnull())
    joined = d.left_join(cited, d.id == cited.cited)
    return joined.select(
        team_id=joined.team_id,
        period_start=period(joined.decided_at, grain),
        informed=joined.cited.notnull(),
        outcome_met=joined.outcome_met,
    )


def decisions_informed(decision: ir.Table, evidence: ir.Table, grain: Grain) -> ir.Table:
    """Per team and period: `decisions`, `informed` (with at least one evidence entry) and
    `informed_share` (informed / decisions, 0-1)."""
    d = _decided(decision, evidence, grain)
    counts = d.group_by("team_id", "period_start").aggregate(
        decisions=d.count(), informed=d.informed.cast("int64").sum()
    )
    return counts.mutate(
        informed_share=counts.informed.cast("float64") / counts.decisions
    ).order_by("team_id", "period_start")


def outcomes_met(decision: ir.Table, evidence: ir.Table, grain: Grain) -> ir.Table:
    """Per team and period, among informed decisions whose outcome was reviewed: `reviewed`,
    `met` and `outcome_met_share` (met / reviewed, 0-1)."""
    d = _decided(decision, evidence, grain)
    d = d.filter(d.informed & d.outcome_met.notnull())
    counts = d.group_by("team_id", "period_start").aggregate(
        reviewed=d.count(), met=d.outcome_met.cast("int64").sum()
    )
    return counts.mutate(outcome_met_share=counts.met.cast("float64") / counts.reviewed).order_by(
        "team_id", "period_start"
    )
