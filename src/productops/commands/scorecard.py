"""`productops scorecard ...`: success criteria per team and period, targets, maturity
(definitions: docs/scorecard.md)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer

from productops.commands.common import (
    FormatOption,
    GrainOption,
    grain,
    known,
    moment,
    open_workspace,
    when,
)
from productops.errors import UsageError
from productops.ops import criteria as crit
from productops.ops.maturity import Reading, effort_periods, read_maturity, self_ratings
from productops.ops.scorecard import (
    Score,
    criteria_in_use,
    latest_complete,
    leaf_teams,
    period_start,
    periods_ending,
    scorecard,
    shift,
)
from productops.registry import improvement
from productops.registry.scorecard import save_readings, save_snapshots, set_target, targets
from productops.render import Format, render
from productops.services.catalog import workspace_catalog

if TYPE_CHECKING:
    from productops.durations import Grain
    from productops.workspace import Workspace

__all__ = [
    "app",
    "compute",
    "criterion_value",
    "keep",
    "maturity_readings",
    "refresh",
    "resolve_periods",
]

app = typer.Typer(
    help="The Product Ops scorecard: success criteria per team and period, with targets, "
    "trend, the organisation's rollup and maturity (docs/scorecard.md).",
    invoke_without_command=True,
)

PeriodOption = Annotated[
    str | None,
    typer.Option(
        "--period",
        "-p",
        help="The (last) period: a date in it, YYYY-MM, YYYY-Qn or YYYY; default the latest "
        "complete one.",
    ),
]
PeriodsOption = Annotated[int, typer.Option("--periods", "-n", min=1, help="Periods to show.")]
AsOf = Annotated[
    str | None, typer.Option("--as-of", help="Compute as of this time (ISO 8601; default now).")
]
COLUMNS = ["criterion", "name", "pillar", "team_id", "period_start", "value", "unit", "target"]
COLUMNS += ["previous", "trend", "met", "reason"]


def resolve_periods(text: str | None, g: Grain, count: int, now: datetime) -> list[datetime]:
    """The `count` periods ending with the one `text` names (default: the latest complete one)."""
    if text is None:
        return periods_ending(latest_complete(now, g), g, count)
    return periods_ending(when(text, "--period", "start"), g, count)


def compute(
    ws: Workspace, periods: list[datetime], g: Grain, now: datetime, team: str | None = None
) -> list[Score]:
    """The scorecard of the workspace: its criteria in use, its targets, its teams."""
    settings = ws.config.scorecard
    chosen = criteria_in_use(settings.disabled, settings.custom)
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
        criteria=chosen,
        catalog=workspace_catalog(ws) if custom else None,
        custom_metrics=custom,
        targets=targets(ws.store),
        teams=teams,
        as_of=now,
        min_group=ws.config.surveys.min_group,
    )


def criterion_value(ws: Workspace, criterion: str, team: str, now: datetime) -> Score:
    """A team's value of one criterion in the latest complete quarter as of `now`."""
    settings = ws.config.scorecard
    chosen = [c for c in criteria_in_use(custom=settings.custom) if c.id == criterion]
    if not chosen:
        raise UsageError(
            f"unknown criterion {criterion!r}; `productops scorecard criteria` lists them"
        )
    custom = {c.id: c.metric for c in settings.custom}
    backend = ws.backend()
    scores = scorecard(
        backend.table,
        [latest_complete(now, "quarter")],
        criteria=chosen,
        catalog=workspace_catalog(ws) if custom else None,
        custom_metrics=custom,
        targets=targets(ws.store),
        teams=[team],
        as_of=now,
        min_group=ws.config.surveys.min_group,
    )
    return next(s for s in scores if s.team_id == team)


def maturity_readings(
    ws: Workspace, scores: list[Score], periods: list[datetime], g: Grain, now: datetime
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


def keep(ws: Workspace, scores: list[Score], now: datetime) -> None:
    """Keep scores as `metric_snapshot` rows."""
    rows = [asdict(s) for s in scores]
    save_snapshots(ws.store, [r | {"metric": r["criterion"]} for r in rows], now)


def refresh(
    ws: Workspace, periods: list[datetime], g: Grain, now: datetime
) -> tuple[list[Score], list[Reading]]:
    """Compute the scorecard and maturity, and keep them as snapshots and readings."""
    scores = compute(ws, periods, g, now)
    keep(ws, scores, now)
    readings = maturity_readings(ws, scores, periods, g, now)
    save_readings(ws.store, [asdict(r) for r in readings], now)
    return scores, readings


@app.callback()
def show_scorecard(
    ctx: typer.Context,
    team: Annotated[
        str | None,
        typer.Option(
            "--team",
            "-t",
            help=f"Only this team (or {crit.ORG}, the organisation).",
            callback=known("team", crit.ORG),
        ),
    ] = None,
    period: PeriodOption = None,
    by: GrainOption = "quarter",
    periods: PeriodsOption = 1,
    at: AsOf = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Print the scorecard (and keep it as snapshots): each criterion's value, target, trend."""
    if ctx.invoked_subcommand is not None:
        return
    ws = open_workspace(ctx)
    now, g = moment(at, "--as-of"), grain(by)
    starts = resolve_periods(period, g, periods, now)
    scores = compute(ws, starts, g, now)
    keep(ws, scores, now)
    if team is not None and team not in {s.team_id for s in scores}:
        raise UsageError(f"--team {team!r}: not a product team (or {crit.ORG})")
    names = {c.id: c.name for c in criteria_in_use(custom=ws.config.scorecard.custom)}
    rows = [asdict(s) for s in scores if team is None or s.team_id == team]
    for row in rows:
        row["name"] = names.get(row["criterion"])
    columns = COLUMNS
    if fmt is Format.table:  # narrow: one team or period needs no column for it
        drop = {"pillar", "previous"} | ({"team_id"} if team else set())
        columns = [c for c in COLUMNS if c not in drop and (c != "period_start" or periods > 1)]
    render(rows, columns, fmt, title=f"scorecard ({g}, {starts[-1]:%Y-%m-%d})")


@app.command("target")
def target(
    ctx: typer.Context,
    criterion: Annotated[
        str,
        typer.Argument(
            help="Criterion id, e.g. process.time_to_market.", callback=known("criterion")
        ),
    ],
    value: Annotated[float, typer.Argument(help="The target value, in the criterion's unit.")],
    team: Annotated[
        str | None,
        typer.Option(
            "--team",
            "-t",
            help="The team setting its own target.",
            callback=known("team", crit.ORG),  # ORG: told to use --organisation
        ),
    ] = None,
    organisation: Annotated[
        bool,
        typer.Option(
            "--organisation",
            help=f"Set the organisation's target (the {crit.ORG} row) instead of a team's.",
        ),
    ] = False,
) -> None:
    """Set a team's own target for a criterion, or the organisation's (met per its direction)."""
    if (team is None) != organisation:
        raise UsageError("scorecard target: give exactly one of --team TEAM and --organisation")
    if team == crit.ORG:
        raise UsageError(f"--team {team}: use --organisation for the organisation's target")
    ws = open_workspace(ctx)
    known = {c.id: c for c in criteria_in_use(custom=ws.config.scorecard.custom)}
    if criterion not in known:
        raise UsageError(
            f"unknown criterion {criterion!r}; `productops scorecard criteria` lists them"
        )
    who = crit.ORG if team is None else team
    set_target(ws.store, criterion, who, value, datetime.now(UTC), also=(crit.ORG,))
    c = known[criterion]
    better = "at least" if c.direction == "higher" else "at most"
    typer.echo(f"{who}: {criterion} target {value:g} {c.unit} ({better})")


@app.command("criteria")
def criteria_(ctx: typer.Context, fmt: FormatOption = Format.table) -> None:
    """List the criteria in use: id, pillar, unit, direction, rollup, what each needs."""
    ws = open_workspace(ctx)
    chosen = criteria_in_use(ws.config.scorecard.disabled, ws.config.scorecard.custom)
    rows: list[dict[str, Any]] = [asdict(c) | {"needs": ", ".join(c.needs)} for c in chosen]
    render(rows, ["id", "pillar", "name", "unit", "direction", "rollup", "needs"], fmt, "criteria")


@app.command("maturity")
def maturity(
    ctx: typer.Context,
    period: PeriodOption = None,
    by: GrainOption = "quarter",
    at: AsOf = None,
    fmt: FormatOption = Format.table,
) -> None:
    """The maturity grid: each team's stage per pillar (kept as readings), with the reasons."""
    ws = open_workspace(ctx)
    now, g = moment(at, "--as-of"), grain(by)
    starts = resolve_periods(period, g, ws.config.scorecard.habitual_periods, now)
    _, readings = refresh(ws, starts, g, now)
    title = f"maturity ({period_start(starts[-1], g):%Y-%m-%d})"
    if fmt is Format.table:  # one row per team and pillar, so that the reasons can be read
        rows = [asdict(r) | {"why": "; ".join(r.reasons)} for r in readings]
        render(rows, ["team_id", "pillar", "stage", "why"], fmt, title=title)
        return
    grid: dict[str, dict[str, Any]] = {}
    for r in readings:
        row = grid.setdefault(r.team_id, {"team_id": r.team_id, "period_start": r.period_start})
        row[r.pillar] = r.stage
        row[f"{r.pillar}_why"] = "; ".join(r.reasons)
    columns = ["team_id", "period_start", "data", "customer", "process"]
    columns += ["data_why", "customer_why", "process_why"]
    render(list(grid.values()), columns, fmt, title=title)
