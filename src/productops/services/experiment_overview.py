"""Experiments at a glance (the web app's experiment pages): the list with status and setup
time, an experiment's results per metric, and its decision."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from productops.experiments.analysis import Settings
from productops.registry import experiments as registry
from productops.registry.analysis import Analysis
from productops.services import audit, compiled

if TYPE_CHECKING:
    from productops.services.actor import Actor
    from productops.workspace import Workspace

__all__ = ["DECISIONS", "Results", "decide_experiment", "experiments", "results"]

DECISIONS = ("ship", "rollback", "iterate", "inconclusive")
_NEVER = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Results:
    """An experiment's analysis with its goal and secondary metrics apart from its
    guardrails (the rows of `Analysis.rows`)."""

    analysis: Analysis
    goals: list[dict[str, Any]]
    guardrails: list[dict[str, Any]]

    @property
    def summary(self) -> dict[str, Any]:
        return self.analysis.summary


def experiments(ws: Workspace, team: str | None = None) -> list[dict[str, Any]]:
    """Every experiment (of `team`) with its status and setup time in days, by team and
    creation."""
    found = compiled.rows(
        ws,
        "experiment_status",
        lambda table: registry.experiment_status(table("experiment")),
        "? IS NULL OR team_id = ?",
        [team, team],
    )
    return sorted(found, key=lambda e: (e["team_id"] or "", e["created_at"] or _NEVER, e["id"]))


def results(
    ws: Workspace, ref: str, method: Literal["frequentist", "bayesian"], as_of: datetime
) -> Results:
    """Experiment `ref` analysed with `method` (the defaults of `productops experiment
    analyze` otherwise) as of `as_of`."""
    found = registry.analyze_experiment(
        ws.store, ws.store.ibis(), ref, Settings(method=method), as_of
    )
    guard = [r for r in found.rows if r["role"] == "guardrail"]
    rest = [r for r in found.rows if r["role"] != "guardrail"]
    return Results(found, rest, guard)


def _brief(ws: Workspace, ref: str) -> dict[str, Any]:
    exp = registry.load(ws.store, ref)
    return {"id": exp.id, "decision": exp.decision, "decided_at": exp.decided_at}


def decide_experiment(
    ws: Workspace, actor: Actor, ref: str, decision: str, rationale: str, at: datetime
) -> str:
    """Record the experiment's decision in the decision log with each goal result frozen as
    evidence (as `productops experiment decide`); returns the decision's id (a write: audited
    as `actor`'s)."""
    before = _brief(ws, ref)
    with ws.store.transaction():
        decision_id, _ = registry.decide(
            ws.store,
            ws.store.ibis(),
            ref,
            decision=decision,
            rationale=rationale,
            deciders=None,
            settings=Settings(),
            at=at,
        )
        after = _brief(ws, ref) | {"decision_id": decision_id}
        audit.record(ws, actor, "experiment.decide", f"experiment:{before['id']}", before, after)
    return decision_id
