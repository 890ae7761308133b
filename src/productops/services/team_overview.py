"""A team at a glance (the web app's team page): its kept scorecard with its targets, its
maturity with the reasons, its nudges and its initiatives."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from productops.errors import NotFoundError
from productops.ops.criteria import CRITERIA
from productops.ops.initiatives import CYCLE
from productops.ops.maturity import STAGES
from productops.ops.nudges import RULES
from productops.registry.improvement import list_initiatives, list_nudges
from productops.reports.labels import label, number, period_label
from productops.reports.model import Stage, Value, status
from productops.services.teams import Team, list_teams

if TYPE_CHECKING:
    from datetime import datetime

    from productops.durations import Grain
    from productops.workspace import Workspace

__all__ = ["CYCLE", "STAGES", "TeamOverview", "TeamScore", "team_overview"]


@dataclass(frozen=True)
class TeamScore:
    """A criterion's kept value for the team in the latest period, with the team's target."""

    criterion: str
    name: str
    pillar: str
    unit: str
    direction: str
    value: float | None
    target: float | None
    status: str
    reason: str | None
    shown: str


@dataclass(frozen=True)
class TeamOverview:
    """What the team page shows; `period_start` is None before any scorecard is kept."""

    team: Team
    period_start: datetime | None
    period: str | None
    scores: list[TeamScore]
    maturity: dict[str, Stage]
    nudges: list[dict[str, Any]]
    initiatives: list[dict[str, Any]]


def _score(row: dict[str, Any]) -> TeamScore:
    lab = label(row["metric"])
    value = Value(row["value"], row["unit"] or lab.unit, row["target"], row["reason"])
    return TeamScore(
        lab.id,
        lab.name,
        lab.pillar,
        value.unit,
        lab.direction,
        value.value,
        value.target,
        status(value, lab.direction),
        value.reason,
        number(value.value, value.unit),
    )


def _nudge(row: dict[str, Any]) -> dict[str, Any]:
    rule = RULES.get(row["rule"])
    crit = CRITERIA.get(row["criterion"] or "")
    return row | {
        "next_step": rule.next_step if rule else None,
        "playbook": list(rule.playbook) if rule else [],
        "criterion_name": crit.name if crit else row["criterion"],
    }


def team_overview(ws: Workspace, team_id: str, grain: Grain) -> TeamOverview:
    """Team `team_id`'s kept scorecard for the latest period of `grain`, maturity per pillar
    (the latest reading, with its reasons), nudges and initiatives, newest first."""
    teams = {t.id: t for t in list_teams(ws)}
    if team_id not in teams:
        raise NotFoundError(f"team {team_id!r}: no such team; teams: {', '.join(sorted(teams))}")
    nudges = [_nudge(n) for n in list_nudges(ws.store, team_id)]
    initiatives = list_initiatives(ws.store, team_id)
    [(start,)] = ws.store.sql(
        "SELECT max(period_start) FROM metric_snapshot WHERE grain = ?", [grain]
    )
    if start is None:
        return TeamOverview(teams[team_id], None, None, [], {}, nudges, initiatives)
    rows = ws.store.arrow(
        "SELECT metric, value, unit, target, reason FROM metric_snapshot WHERE team_id = ? "
        "AND grain = ? AND period_start = ?",
        [team_id, grain, start],
    ).to_pylist()
    scores = sorted((_score(r) for r in rows), key=lambda s: label(s.criterion).order)
    return TeamOverview(
        teams[team_id], start, period_label(start, grain), scores, _maturity(ws, team_id),
        nudges, initiatives,
    )  # fmt: skip


def _maturity(ws: Workspace, team_id: str) -> dict[str, Stage]:
    """The team's latest maturity reading per pillar, with its reasons."""
    rows = ws.store.sql(
        "SELECT pillar, stage, reasons, period_start FROM maturity_reading WHERE team_id = ? "
        "QUALIFY row_number() OVER (PARTITION BY pillar ORDER BY period_start DESC) = 1",
        [team_id],
    )
    return {
        pillar: Stage(stage or STAGES[0], [str(r) for r in json.loads(reasons or "[]")], start)
        for pillar, stage, reasons, start in rows
    }
