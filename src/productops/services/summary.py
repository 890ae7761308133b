"""What changed and what needs attention, for the latest kept period: the summary that opens the
scorecard report and the home page (docs/reports.md#summary).

The criteria's figures come from the kept scorecard (`metric_snapshot`), as the report shows
them; the rest is read as of `as_of`: data and production incidents open then, feedback spikes
from the period's start to then, and experiments whose decision is due then.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from productops.experiments.analysis import Settings
from productops.ops.criteria import ORG
from productops.ops.scorecard import shift
from productops.pillars.customer.trends import SpikeRule
from productops.registry.checks import list_incidents
from productops.registry.experiments import analyze_experiment, list_experiments
from productops.registry.feedback_analysis import spike_report
from productops.reports import NoScorecardError
from productops.reports.labels import label
from productops.reports.model import Value, status

if TYPE_CHECKING:
    from productops.durations import Grain
    from productops.workspace import Workspace

__all__ = [
    "MOVES",
    "CriterionValue",
    "DecisionDue",
    "Move",
    "OpenIncident",
    "Spike",
    "Summary",
    "summary",
]

MOVES = 5  # the biggest moves a summary lists


@dataclass(frozen=True)
class CriterionValue:
    """A team's (or the organisation's, `ORG`) value of a criterion in the period, with its
    target and status (`on target`, `off target`, `no target` or `no value`)."""

    team_id: str
    criterion: str
    name: str
    unit: str
    value: float | None
    target: float | None
    status: str


@dataclass(frozen=True)
class Move:
    """An organisation criterion's change from the previous period: `change` in its unit (a
    percentage's in points), `size` = |change| / max(|previous|, |latest|), from 0 to 2, and
    whether it went the better way."""

    criterion: str
    name: str
    unit: str
    previous: float
    latest: float
    change: float
    size: float
    better: bool


@dataclass(frozen=True)
class OpenIncident:
    """A data incident (a failing check) or a production incident, open at `as_of`."""

    kind: str  # data or production
    id: str
    team_id: str | None
    what: str
    opened_at: datetime


@dataclass(frozen=True)
class Spike:
    """A theme's week of feedback far above its baseline: `ratio` = items / max(baseline, 1)."""

    theme_id: str
    label: str | None
    week_start: datetime
    items: int
    baseline: float
    ratio: float


@dataclass(frozen=True)
class DecisionDue:
    """An experiment without a decision that has stopped, or whose goal metrics have the units
    their power target needs (`why` says which)."""

    experiment_id: str
    team_id: str | None
    name: str | None
    started_at: datetime
    why: str


@dataclass(frozen=True)
class Summary:
    """The summary of the period starting `period_start` (and the one before, `previous_start`),
    read as of `as_of`. `on_target` of `with_target` organisation criteria meet their target;
    `with_target` counts those with a value and a target."""

    grain: Grain
    period_start: datetime
    previous_start: datetime | None
    as_of: datetime
    on_target: int
    with_target: int
    no_target: int
    no_value: int
    off_target: list[CriterionValue]
    moves: list[Move]
    incidents: list[OpenIncident]
    spikes: list[Spike]
    decisions_due: list[DecisionDue]

    @property
    def headline(self) -> str:
        """e.g. "5 of 8 criteria on target"."""
        if not self.with_target:
            return "no criterion has a target yet"
        return f"{self.on_target} of {self.with_target} criteria on target"


def summary(
    ws: Workspace, grain: Grain, as_of: datetime, period_start: datetime | None = None
) -> Summary:
    """The summary of the latest kept period of `grain` (or the one starting `period_start`),
    with incidents, spikes and decisions due as of `as_of`.

    >>> summary(ws, "quarter", datetime(2026, 11, 1, tzinfo=UTC)).headline  # doctest: +SKIP
    '5 of 8 criteria on target'
    """
    start = period_start or _latest(ws, grain)
    previous = shift(start, grain, -1)
    rows = ws.store.arrow(
        "SELECT metric, team_id, period_start, value, target FROM metric_snapshot "
        "WHERE grain = ? AND period_start IN (?, ?)",
        [grain, start, previous],
    ).to_pylist()
    latest = [_value(r) for r in rows if r["period_start"] == start]
    if not latest:
        raise NoScorecardError(
            f"no scorecard kept for the {grain} starting {start:%Y-%m-%d}: "
            f"run `productops scorecard --grain {grain}` first"
        )
    before = {
        r["metric"]: r["value"]
        for r in rows
        if r["period_start"] == previous and r["team_id"] == ORG
    }
    org = [v for v in latest if v.team_id == ORG]
    count = {s: sum(v.status == s for v in org) for s in ("on target", "off target")}
    return Summary(
        grain=grain,
        period_start=start,
        previous_start=previous if before else None,
        as_of=as_of,
        on_target=count["on target"],
        with_target=count["on target"] + count["off target"],
        no_target=sum(v.status == "no target" for v in org),
        no_value=sum(v.status == "no value" for v in org),
        off_target=_off_target(ws, latest),
        moves=_moves(org, before),
        incidents=_incidents(ws, as_of),
        spikes=_spikes(ws, start, as_of),
        decisions_due=_decisions_due(ws, as_of),
    )


def _latest(ws: Workspace, grain: Grain) -> datetime:
    found = ws.store.sql("SELECT max(period_start) FROM metric_snapshot WHERE grain = ?", [grain])
    if found[0][0] is None:
        raise NoScorecardError(
            f"no scorecard snapshots for grain {grain!r}: compute the scorecard first "
            f"(`productops scorecard --grain {grain}`)"
        )
    latest: datetime = found[0][0].astimezone(UTC)
    return latest


def _value(row: dict[str, Any]) -> CriterionValue:
    lab = label(row["metric"])
    return CriterionValue(
        row["team_id"],
        row["metric"],
        lab.name,
        lab.unit,
        row["value"],
        row["target"],
        status(Value(row["value"], lab.unit, row["target"]), lab.direction),
    )


def _off_target(ws: Workspace, values: list[CriterionValue]) -> list[CriterionValue]:
    """The organisation's misses first, then the teams' by team name, in the criteria's order."""
    names = dict(ws.store.sql("SELECT id, name FROM team"))
    missed = [v for v in values if v.status == "off target"]
    return sorted(
        missed,
        key=lambda v: (v.team_id != ORG, names.get(v.team_id, v.team_id), label(v.criterion).order),
    )


def _moves(org: list[CriterionValue], before: dict[str, float | None]) -> list[Move]:
    """The organisation's criteria that changed most from the previous period (relative size)."""
    moves = []
    for v in org:
        was = before.get(v.criterion)
        if v.value is None or was is None or v.value == was:
            continue
        change = v.value - was
        size = abs(change) / max(abs(was), abs(v.value))
        better = (change < 0) == (label(v.criterion).direction == "lower")
        moves.append(Move(v.criterion, v.name, v.unit, was, v.value, change, size, better))
    moves.sort(key=lambda m: (-m.size, label(m.criterion).order))
    return moves[:MOVES]


def _incidents(ws: Workspace, as_of: datetime) -> list[OpenIncident]:
    """Data incidents and production incidents opened by `as_of` and not resolved by then,
    newest first."""
    data = [
        OpenIncident("data", i["id"], None, i["summary"] or i["check_id"], i["opened_at"])
        for i in list_incidents(ws.store)
        if i["opened_at"] <= as_of and (i["resolved_at"] is None or i["resolved_at"] > as_of)
    ]
    data.sort(key=lambda i: (-i.opened_at.timestamp(), i.id))
    production = ws.store.sql(
        "SELECT id, team_id, coalesce('severity ' || severity, 'production incident'), created_at "
        "FROM incident WHERE created_at <= ? AND (resolved_at IS NULL OR resolved_at > ?) "
        "ORDER BY created_at DESC, id",
        [as_of, as_of],
    )
    return data + [OpenIncident("production", *r) for r in production]


def _spikes(ws: Workspace, start: datetime, as_of: datetime) -> list[Spike]:
    """Feedback spikes in weeks starting from the period's start up to `as_of`, steepest first."""
    found = [
        Spike(s["theme_id"], s["label"], week, s["items"], s["baseline"], s["ratio"])
        for s in spike_report(ws.backend(), SpikeRule())
        if start <= (week := s["week_start"].replace(tzinfo=UTC)) < as_of
    ]
    return sorted(found, key=lambda s: (-s.ratio, s.week_start, s.theme_id))


def _decisions_due(ws: Workspace, as_of: datetime) -> list[DecisionDue]:
    """Experiments started by `as_of` without a decision then, that have stopped or whose every
    goal metric has the units it needs (0 days remaining)."""
    backend = ws.backend()
    due = []
    for e in list_experiments(backend):
        started, stopped, decided = e["started_at"], e["stopped_at"], e["decision"]
        if started is None or started > as_of or decided is not None:
            continue
        if stopped is not None and stopped <= as_of:
            why = "stopped without a decision"
        else:
            analysis = analyze_experiment(ws.store, backend, e["id"], Settings(), as_of)
            goals = [r["days_remaining"] for r in analysis.rows if r["role"] == "goal"]
            if not goals or any(d != 0 for d in goals):
                continue
            why = "its goal metrics have the units they need"
        due.append(DecisionDue(e["id"], e["team_id"], e["name"], started, why))
    return due
