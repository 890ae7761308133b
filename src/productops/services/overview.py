"""The organisation at a glance (the web app's home page): the kept scorecard of the latest
period, opened by what changed and what needs attention."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from productops.registry.checks import list_incidents
from productops.reports import NoScorecardError, build_report
from productops.reports.labels import number, period_label
from productops.reports.model import Report, Trend
from productops.services import compiled
from productops.services.customer_overview import spikes
from productops.services.experiment_overview import experiments

if TYPE_CHECKING:
    from productops.durations import Grain
    from productops.workspace import Workspace

__all__ = ["MOVES_SHOWN", "Move", "Overview", "ScoreRow", "overview"]

MOVES_SHOWN = 3
"""How many of the largest relative changes the summary names."""


@dataclass(frozen=True)
class ScoreRow:
    """One criterion of the organisation in the latest kept period, beside the one before."""

    criterion: str
    name: str
    pillar: str
    unit: str
    direction: str
    value: float | None
    previous: float | None
    target: float | None
    status: str  # on target, off target, no target, no value
    reason: str | None
    shown: str  # the value as people read it, with its unit


@dataclass(frozen=True)
class Move:
    """A criterion's change from the period before: `change` relative to the previous value
    (0.25 is 25% up); `better` when it moved the criterion's good way."""

    criterion: str
    name: str
    previous: float
    value: float
    unit: str
    change: float
    better: bool


@dataclass(frozen=True)
class Overview:
    """What the home page shows; `report` is None before any scorecard is kept."""

    report: Report | None
    period: str | None
    scores: list[ScoreRow]
    moves: list[Move]
    incidents: list[dict[str, Any]]
    spikes: list[dict[str, Any]]
    decisions_due: list[dict[str, Any]]

    @property
    def off_target(self) -> list[ScoreRow]:
        return [s for s in self.scores if s.status == "off target"]

    @property
    def on_target(self) -> int:
        return sum(s.status == "on target" for s in self.scores)


def _row(trend: Trend) -> ScoreRow:
    lab, now, before = trend.label, trend.latest, trend.previous
    return ScoreRow(
        lab.id,
        lab.name,
        lab.pillar,
        (now.unit if now else lab.unit),
        lab.direction,
        now.value if now else None,
        before.value if before else None,
        now.target if now else None,
        trend.status(),
        now.reason if now else None,
        number(now.value, now.unit) if now else "",
    )


def _moves(rows: list[ScoreRow]) -> list[Move]:
    found = [
        Move(
            r.criterion,
            r.name,
            r.previous,
            r.value,
            r.unit,
            (r.value - r.previous) / abs(r.previous),
            (r.value < r.previous) == (r.direction == "lower"),
        )
        for r in rows
        if r.value is not None and r.previous not in (None, 0) and r.value != r.previous
    ]
    return sorted(found, key=lambda m: -abs(m.change))[:MOVES_SHOWN]


TABLES = (
    "metric_snapshot", "maturity_reading", "nudge", "initiative", "team", "data_incident",
    "experiment", "feedback", "feedback_theme", "theme",
)  # fmt: skip
"""What the overview reads: it is computed again when one of them changes."""


def overview(ws: Workspace, grain: Grain, as_of: datetime) -> Overview:
    """`_overview`, kept until a table it reads changes."""
    return compiled.kept(ws, f"overview:{grain}", TABLES, lambda: _overview(ws, grain, as_of))


def _overview(ws: Workspace, grain: Grain, as_of: datetime) -> Overview:
    """The kept scorecard of the latest period of `grain` with its summary: criteria off
    target, the biggest moves (from the period before), open data incidents, feedback spikes
    in these two periods and experiments stopped without a decision."""
    incidents = list_incidents(ws.store, "open")
    due = [e for e in experiments(ws) if e["status"] == "stopped"]
    try:
        report = build_report(ws.store.ibis(), grain, 2, as_of)
    except NoScorecardError:
        return Overview(None, None, [], [], incidents, [], due)
    rows = [_row(t) for s in report.sections for t in s.trends]
    found = spikes(ws, report.periods[0])
    label = period_label(report.periods[-1], grain)
    return Overview(report, label, rows, _moves(rows), incidents, found, due)
