"""Experiment results for a window of time: each experiment's metrics compared with its control
(docs/experiments.md), as the report shows them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from productops.experiments.analysis import Settings
from productops.registry.experiments import analyze_experiment, list_experiments

if TYPE_CHECKING:
    from productops.workspace import Workspace

__all__ = ["ExperimentResult", "MetricResult", "experiment_results"]


@dataclass(frozen=True)
class MetricResult:
    """One metric of one treatment arm against the control: the effect (`relative`: a share of
    the control's mean, e.g. 0.05 for +5%; else in the metric's unit) and its 95% interval,
    the Holm-adjusted p-value of a goal metric, warnings (`srm`, `underpowered`, ...) and
    which direction of the metric is better (`higher` or `lower`)."""

    metric: str
    role: str | None
    arm: str
    relative: bool
    effect: float | None
    ci_low: float | None
    ci_high: float | None
    adjusted_p_value: float | None
    warnings: list[str]
    direction: str = "higher"


@dataclass(frozen=True)
class ExperimentResult:
    """An experiment's status, decision and sample-ratio check, and its metrics' results (goal
    metrics first, then guardrails, then the rest)."""

    experiment_id: str
    team_id: str | None
    name: str | None
    status: str
    decision: str | None
    started_at: datetime
    stopped_at: datetime | None
    units: str
    srm_p_value: float
    trustworthy: bool
    metrics: list[MetricResult]


_ROLES = {"goal": 0, "guardrail": 1}


def experiment_results(ws: Workspace, since: datetime, as_of: datetime) -> list[ExperimentResult]:
    """Experiments that ran in [`since`, `as_of`): started before `as_of` and not stopped
    before `since`; analysed (frequentist, relative effects, Holm) as of `as_of`."""
    backend = ws.backend()
    found = []
    for e in list_experiments(backend):
        started, stopped = e["started_at"], e["stopped_at"]
        if started is None or started >= as_of or (stopped is not None and stopped < since):
            continue
        analysis = analyze_experiment(ws.store, backend, e["id"], Settings(), as_of)
        rows = sorted(analysis.rows, key=lambda r: _ROLES.get(r["role"], 2))
        metrics = [
            MetricResult(
                r["metric"],
                r["role"],
                r["arm"],
                r["relative"],
                r["effect"],
                r["ci_low"],
                r["ci_high"],
                r["adjusted_p_value"],
                list(r["warnings"]),
                r["direction"],
            )
            for r in rows
        ]
        s = analysis.summary
        found.append(
            ExperimentResult(
                e["id"],
                e["team_id"],
                e["name"],
                e["status"],
                e["decision"],
                started,
                stopped,
                s["units"],
                s["srm_p_value"],
                s["trustworthy"],
                metrics,
            )
        )
    return found
