"""What a report shows, read from the persisted scorecard, maturity, nudge and initiative rows.

The report never computes a criterion: it reads `metric_snapshot`, `maturity_reading`,
`nudge`, `initiative` and `team` as the scorecard left them, so it shows what was measured.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from productops.durations import Grain
from productops.errors import ProductOpsError
from productops.ops.maturity import MATURITY_PILLARS, STAGES
from productops.reports.labels import ORG, Label, label, pillar_title

if TYPE_CHECKING:
    from ibis.backends import BaseBackend

    from productops.services.demand import ThemeDemand
    from productops.services.dora import TeamDora
    from productops.services.experiment_results import ExperimentResult
    from productops.services.summary import Summary

__all__ = [
    "MATURITY_PILLARS",
    "STAGES",
    "Initiative",
    "NoScorecardError",
    "Nudge",
    "Off",
    "Report",
    "Section",
    "Stage",
    "Trend",
    "Value",
    "build_report",
    "status",
]

OPEN_NUDGES = ("offered", "accepted")


class NoScorecardError(ProductOpsError):
    """No scorecard snapshots to report on."""


@dataclass(frozen=True)
class Value:
    """A criterion's value for one team and period, or the reason it has none."""

    value: float | None
    unit: str
    target: float | None = None
    reason: str | None = None


@dataclass(frozen=True)
class Trend:
    """One criterion for the organisation over the report's periods."""

    label: Label
    values: list[Value | None]  # one per period, None where no snapshot exists

    @property
    def latest(self) -> Value | None:
        return self.values[-1] if self.values else None

    @property
    def previous(self) -> Value | None:
        return self.values[-2] if len(self.values) > 1 else None

    def status(self, index: int = -1) -> str:
        """on target, off target, no target or no value, for the period at `index`."""
        return status(self.values[index] if self.values else None, self.label.direction)


@dataclass(frozen=True)
class Section:
    """A pillar group: its criteria's organisation trends."""

    pillar: str
    title: str
    trends: list[Trend]

    def counts(self, index: int) -> dict[str, int]:
        """Criteria per status in the period at `index`."""
        found = dict.fromkeys(("on target", "off target", "no target", "no value"), 0)
        for t in self.trends:
            found[t.status(index)] += 1
        return found


@dataclass(frozen=True)
class Stage:
    """A team's stage of competence in a pillar and why."""

    stage: str
    reasons: list[str]
    period_start: datetime


@dataclass(frozen=True)
class Off:
    """A team's criterion that missed its target in the latest period."""

    team: str
    label: Label
    value: Value


@dataclass(frozen=True)
class Nudge:
    team: str
    rule: str
    status: str
    criterion: Label | None
    offered_at: datetime | None


@dataclass(frozen=True)
class Initiative:
    team: str
    title: str
    stage: str | None
    criterion: Label | None
    baseline: float | None
    after: float | None
    started_at: datetime | None


@dataclass
class Report:
    """Everything a report shows. `build_report` reads the kept scorecard; the service that
    writes the report adds the summary, DORA, demand and experiment results
    (`services.reports.scorecard_report`)."""

    grain: Grain
    periods: list[datetime]
    generated_at: datetime
    teams: dict[str, str]  # team id -> display name, in display order
    sections: list[Section]
    maturity: dict[tuple[str, str], Stage] = field(default_factory=dict)
    off_target: list[Off] = field(default_factory=list)
    nudges: list[Nudge] = field(default_factory=list)
    initiatives: list[Initiative] = field(default_factory=list)
    team_trends: dict[str, list[Trend]] = field(default_factory=dict)  # team id -> its criteria
    summary: Summary | None = None
    dora: list[TeamDora] = field(default_factory=list)
    demand: list[ThemeDemand] = field(default_factory=list)
    experiments: list[ExperimentResult] = field(default_factory=list)

    def team_name(self, team_id: str) -> str:
        return "Organisation" if team_id == ORG else self.teams.get(team_id, team_id)

    def maturity_teams(self) -> list[str]:
        """Teams with a maturity reading in any pillar, in display order."""
        read = {team for team, _ in self.maturity}
        return [t for t in self.teams if t in read] + sorted(read - set(self.teams))


def status(value: Value | None, direction: str) -> str:
    """Whether `value` meets its target, given which direction is better."""
    if value is None or value.value is None:
        return "no value"
    if value.target is None:
        return "no target"
    met = value.value <= value.target if direction == "lower" else value.value >= value.target
    return "on target" if met else "off target"


def _rows(backend: BaseBackend, name: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = backend.table(name).to_pyarrow().to_pylist()
    return rows


def _value(row: dict[str, Any], unit: str) -> Value:
    return Value(row["value"], row["unit"] or unit, row["target"], row["reason"])


def build_report(backend: BaseBackend, grain: Grain, periods: int, now: datetime) -> Report:
    """The report over the last `periods` periods of `grain` that have scorecard snapshots."""
    snaps = backend.table("metric_snapshot")
    snaps = snaps.filter(snaps.grain == grain)
    starts = snaps.select("period_start").distinct().order_by(snaps.period_start.desc())
    shown = sorted(r["period_start"] for r in starts.limit(periods).to_pyarrow().to_pylist())
    if not shown:
        raise NoScorecardError(
            f"no scorecard snapshots for grain {grain!r}: compute the scorecard first "
            f"(`productops scorecard --grain {grain}`)"
        )
    rows = snaps.filter(snaps.period_start >= shown[0]).to_pyarrow().to_pylist()
    index = {p: i for i, p in enumerate(shown)}
    teams = {t["id"]: t["name"] for t in sorted(_rows(backend, "team"), key=lambda t: t["name"])}
    return Report(
        grain=grain,
        periods=shown,
        generated_at=now,
        teams=teams,
        sections=_sections(rows, index),
        maturity=_maturity(_rows(backend, "maturity_reading")),
        off_target=_off_target(rows, shown[-1], teams),
        nudges=_nudges(_rows(backend, "nudge")),
        initiatives=_initiatives(_rows(backend, "initiative")),
        team_trends=_team_trends(rows, index, teams),
    )


def _sections(rows: list[dict[str, Any]], index: dict[datetime, int]) -> list[Section]:
    """Organisation trends per criterion, grouped by pillar in the criteria's order."""
    trends: dict[str, list[Value | None]] = {}
    for r in rows:
        if r["team_id"] == ORG:
            values = trends.setdefault(r["metric"], [None] * len(index))
            values[index[r["period_start"]]] = _value(r, label(r["metric"]).unit)
    by_pillar: dict[str, list[Trend]] = {}
    for metric in sorted(trends, key=lambda m: label(m).order):
        found = label(metric)
        by_pillar.setdefault(found.pillar, []).append(Trend(found, trends[metric]))
    return [Section(p, pillar_title(p), t) for p, t in by_pillar.items()]


def _team_trends(
    rows: list[dict[str, Any]], index: dict[datetime, int], teams: dict[str, str]
) -> dict[str, list[Trend]]:
    """Each team's criteria over the periods, in the criteria's order; a criterion the team
    has no value and no target for in any period (an organisation-wide one) is left out."""
    found: dict[str, dict[str, list[Value | None]]] = {}
    for r in rows:
        if r["team_id"] != ORG:
            values = found.setdefault(r["team_id"], {}).setdefault(r["metric"], [None] * len(index))
            values[index[r["period_start"]]] = _value(r, label(r["metric"]).unit)
    order = [t for t in teams if t in found] + sorted(set(found) - set(teams))
    return {
        team: [
            Trend(label(m), found[team][m])
            for m in sorted(found[team], key=lambda m: label(m).order)
            if any(v and (v.value is not None or v.target is not None) for v in found[team][m])
        ]
        for team in order
    }


def _off_target(rows: list[dict[str, Any]], latest: datetime, teams: dict[str, str]) -> list[Off]:
    found = []
    for r in rows:
        if r["team_id"] == ORG or r["period_start"] != latest:
            continue
        crit = label(r["metric"])
        value = _value(r, crit.unit)
        if status(value, crit.direction) == "off target":
            found.append(Off(r["team_id"], crit, value))
    order = list(teams)
    return sorted(
        found,
        key=lambda o: (order.index(o.team) if o.team in order else len(order), o.label.order),
    )


def _maturity(rows: list[dict[str, Any]]) -> dict[tuple[str, str], Stage]:
    """Each team's latest reading per pillar."""
    latest: dict[tuple[str, str], Stage] = {}
    for r in sorted(rows, key=lambda r: r["period_start"]):
        reasons = json.loads(r["reasons"]) if r["reasons"] else []
        latest[(r["team_id"], r["pillar"])] = Stage(
            r["stage"] or "unaware", [str(x) for x in reasons], r["period_start"]
        )
    return latest


def _nudges(rows: list[dict[str, Any]]) -> list[Nudge]:
    open_ = [r for r in rows if r["status"] in OPEN_NUDGES]
    return [
        Nudge(
            r["team_id"],
            r["rule"],
            r["status"],
            label(r["criterion"]) if r["criterion"] else None,
            r["offered_at"],
        )
        for r in sorted(open_, key=lambda r: (r["team_id"] or "", str(r["offered_at"])))
    ]


def _initiatives(rows: list[dict[str, Any]]) -> list[Initiative]:
    return [
        Initiative(
            r["team_id"],
            r["title"],
            r["stage"],
            label(r["target_metric"]) if r["target_metric"] else None,
            r["baseline"],
            r["after"],
            r["started_at"],
        )
        for r in sorted(rows, key=lambda r: (r["team_id"] or "", str(r["started_at"])))
    ]
