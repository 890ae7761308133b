"""The scorecard: compute the success criteria per team and period, keep them with the maturity
readings, read the maturity grid, and set the targets teams give themselves (docs/scorecard.md)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from productops.engine import collect_union
from productops.errors import NotFoundError, UsageError
from productops.ops import criteria as crit
from productops.ops.maturity import Reading, effort_periods, read_maturity, self_ratings
from productops.ops.scorecard import (
    Score,
    criteria_in_use,
    latest_complete,
    leaf_teams,
    scorecard,
    shift,
    with_targets,
)
from productops.registry import improvement
from productops.registry.scorecard import save_readings, save_snapshots, set_target, targets
from productops.services import audit
from productops.services.catalog import workspace_catalog

if TYPE_CHECKING:
    from productops.durations import Grain
    from productops.ops.criteria import Criterion
    from productops.services.actor import Actor
    from productops.workspace import Workspace

__all__ = [
    "CriterionListed",
    "MaturityRow",
    "aimed",
    "compute",
    "compute_and_keep",
    "criterion_value",
    "keep",
    "list_criteria",
    "maturity",
    "maturity_grid",
    "maturity_readings",
    "refresh",
    "set_criterion_target",
    "values",
]


def compute(
    ws: Workspace, periods: list[datetime], g: Grain, as_of: datetime, team: str | None = None
) -> list[Score]:
    """The scorecard of the workspace (its criteria in use, targets and teams, or one `team`)
    for `periods`, computed as of `as_of`."""
    return aimed(ws, values(ws, periods, g, as_of, team))


def aimed(ws: Workspace, scores: list[Score]) -> list[Score]:
    """`scores` (from `values`) with the workspace's targets and whether each is met: cheap,
    a read of the target table."""
    settings = ws.config.scorecard
    return with_targets(scores, targets(ws.store), criteria_in_use(custom=settings.custom))


def values(
    ws: Workspace, periods: list[datetime], g: Grain, as_of: datetime, team: str | None = None
) -> list[Score]:
    """The scorecard as `compute` makes it but without targets (none set, none met): the costly
    part, which the target table does not change."""
    settings = ws.config.scorecard
    custom = {c.id: c.metric for c in settings.custom}
    backend = ws.backend()
    teams = leaf_teams(backend.table("team"))
    if team is not None:
        if team not in teams:
            raise UsageError(f"--team {team!r}: not a product team; teams: {', '.join(teams)}")
        teams = [team]
    return scorecard(
        backend.table,
        periods,
        grain=g,
        criteria=criteria_in_use(settings.disabled, settings.custom),
        catalog=workspace_catalog(ws) if custom else None,
        custom_metrics=custom,
        teams=teams,
        as_of=as_of,
        min_group=ws.config.surveys.min_group,
        collect=collect_union,
    )


def criterion_value(ws: Workspace, criterion: str, team: str, as_of: datetime) -> Score:
    """A team's value of one criterion in the latest complete quarter as of `as_of`."""
    settings = ws.config.scorecard
    chosen = [c for c in criteria_in_use(custom=settings.custom) if c.id == criterion]
    if not chosen:
        raise UsageError(
            f"unknown criterion {criterion!r}; `productops scorecard criteria` lists them"
        )
    custom = {c.id: c.metric for c in settings.custom}
    scores = scorecard(
        ws.backend().table,
        [latest_complete(as_of, "quarter")],
        criteria=chosen,
        catalog=workspace_catalog(ws) if custom else None,
        custom_metrics=custom,
        targets=targets(ws.store),
        teams=[team],
        as_of=as_of,
        min_group=ws.config.surveys.min_group,
        collect=collect_union,
    )
    return next(s for s in scores if s.team_id == team)


def maturity_readings(
    ws: Workspace, scores: list[Score], periods: list[datetime], g: Grain
) -> list[Reading]:
    """Maturity per team and pillar for the last of `periods`, from `scores` (which cover them)."""
    backend = ws.backend()
    ratings = self_ratings(
        backend.table("survey"),
        backend.table("survey_response"),
        until=shift(periods[-1], g, 1),
        min_group=ws.config.surveys.min_group,
    )
    effort = effort_periods(
        improvement.list_nudges(ws.store), improvement.list_initiatives(ws.store), periods, g
    )
    teams = sorted({s.team_id for s in scores if s.team_id != crit.ORG})
    return read_maturity(
        scores,
        teams,
        periods,
        g,
        ratings=ratings,
        effort=effort,
        habitual_periods=ws.config.scorecard.habitual_periods,
    )


def _counts(scores: list[Score], readings: list[Reading] | None = None) -> dict[str, Any]:
    """What a keeping wrote, as its audit row summarises it."""
    counts: dict[str, Any] = {
        "snapshots": len(scores),
        "teams": len({s.team_id for s in scores}),
        "periods": sorted({f"{s.grain}:{s.period_start:%Y-%m-%d}" for s in scores}),
    }
    return counts if readings is None else counts | {"readings": len(readings)}


def _save(ws: Workspace, scores: list[Score], as_of: datetime) -> None:
    rows = [asdict(s) for s in scores]
    save_snapshots(ws.store, [r | {"metric": r["criterion"]} for r in rows], as_of)


def keep(ws: Workspace, actor: Actor, scores: list[Score], as_of: datetime) -> None:
    """Keep scores as `metric_snapshot` rows computed at `as_of` (a write: one audit row as
    `actor`'s, with the counts)."""
    with ws.store.transaction():
        _save(ws, scores, as_of)
        audit.record(ws, actor, "scorecard.keep", "metric_snapshot", None, _counts(scores))


def compute_and_keep(
    ws: Workspace, periods: list[datetime], g: Grain, as_of: datetime
) -> tuple[list[Score], list[Reading]]:
    """Compute the scorecard and maturity and keep them as snapshots and readings, unaudited:
    for a use case whose own audit row covers it (`refresh`, the report)."""
    scores = compute(ws, periods, g, as_of)
    _save(ws, scores, as_of)
    readings = maturity_readings(ws, scores, periods, g)
    save_readings(ws.store, [asdict(r) for r in readings], as_of)
    return scores, readings


def refresh(
    ws: Workspace, actor: Actor, periods: list[datetime], g: Grain, as_of: datetime
) -> tuple[list[Score], list[Reading]]:
    """Compute the scorecard and maturity and keep them as snapshots and readings (a write: one
    audit row as `actor`'s, with the counts)."""
    with ws.store.transaction():
        scores, readings = compute_and_keep(ws, periods, g, as_of)
        after = _counts(scores, readings)
        audit.record(ws, actor, "scorecard.refresh", "metric_snapshot", None, after)
    return scores, readings


def set_criterion_target(
    ws: Workspace, actor: Actor, criterion: str, team: str, value: float
) -> Criterion:
    """Set `team`'s (or the organisation's, `ORG`) own target for a criterion in use; returns the
    criterion (a write: audited as `actor`'s)."""
    known = {c.id: c for c in criteria_in_use(custom=ws.config.scorecard.custom)}
    if criterion not in known:
        raise NotFoundError(
            f"unknown criterion {criterion!r}; `productops scorecard criteria` lists them"
        )
    before = _target(ws, criterion, team)
    with ws.store.transaction():
        set_target(ws.store, criterion, team, value, datetime.now(UTC), also=(crit.ORG,))
        obj = f"criterion_target:{criterion}/{team}"
        after = {"criterion": criterion, "team_id": team, "target": float(value)}  # as landed
        audit.record(ws, actor, "scorecard.target", obj, before, after)
    return known[criterion]


def _target(ws: Workspace, criterion: str, team: str) -> dict[str, Any] | None:
    rows = ws.store.sql(
        "SELECT target FROM criterion_target WHERE criterion = ? AND team_id = ?",
        [criterion, team],
    )
    return {"criterion": criterion, "team_id": team, "target": rows[0][0]} if rows else None


@dataclass(frozen=True)
class CriterionListed:
    """A success criterion in use: its pillar, unit, which direction is better, how teams roll
    up to the organisation, and the tables it needs."""

    id: str
    pillar: str
    name: str
    unit: str
    direction: str
    rollup: str
    needs: str


@dataclass(frozen=True)
class MaturityRow:
    """A team's stage of competence per pillar in a period, and why (`..._why`)."""

    team_id: str
    period_start: datetime
    data: str | None = None
    customer: str | None = None
    process: str | None = None
    data_why: str | None = None
    customer_why: str | None = None
    process_why: str | None = None


def list_criteria(ws: Workspace) -> list[CriterionListed]:
    """The criteria in use (the workspace's `[scorecard]` disables some and adds its own)."""
    chosen = criteria_in_use(ws.config.scorecard.disabled, ws.config.scorecard.custom)
    return [
        CriterionListed(c.id, c.pillar, c.name, c.unit, c.direction, c.rollup, ", ".join(c.needs))
        for c in chosen
    ]


def maturity_grid(readings: list[Reading]) -> list[MaturityRow]:
    """Readings as one row per team: its stage in each pillar and why."""
    grid: dict[str, dict[str, Any]] = {}
    for r in readings:
        row = grid.setdefault(r.team_id, {"team_id": r.team_id, "period_start": r.period_start})
        row[r.pillar] = r.stage
        row[f"{r.pillar}_why"] = "; ".join(r.reasons)
    return [MaturityRow(**row) for row in grid.values()]


def maturity(
    ws: Workspace, periods: list[datetime], g: Grain, as_of: datetime
) -> list[MaturityRow]:
    """The maturity grid for the last of `periods` (which cover the habitual periods), computed
    as of `as_of` without keeping anything (`refresh` keeps it)."""
    return maturity_grid(maturity_readings(ws, compute(ws, periods, g, as_of), periods, g))
