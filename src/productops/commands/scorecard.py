"""`productops scorecard ...`: success criteria per team and period, targets, maturity
(definitions: docs/scorecard.md)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer

from productops.commands.common import (
    FormatOption,
    GrainOption,
    PeriodOption,
    ScorecardAsOfOption,
    grain,
    known,
    moment,
    open_workspace,
    resolve_periods,
    show_records,
)
from productops.errors import UsageError
from productops.ops import criteria as crit
from productops.ops.scorecard import criteria_in_use, period_start
from productops.render import Format, render
from productops.services import Actor
from productops.services.scorecard import (
    CriterionListed,
    MaturityRow,
    compute,
    keep,
    list_criteria,
    maturity_grid,
    refresh,
    set_criterion_target,
)

__all__ = ["app"]

app = typer.Typer(
    help="The Product Ops scorecard: success criteria per team and period, with targets, "
    "trend, the organisation's rollup and maturity (docs/scorecard.md).",
    invoke_without_command=True,
)

PeriodsOption = Annotated[int, typer.Option("--periods", "-n", min=1, help="Periods to show.")]
COLUMNS = ["criterion", "name", "pillar", "team_id", "period_start", "value", "unit", "target"]
COLUMNS += ["previous", "trend", "met", "reason"]


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
    at: ScorecardAsOfOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Print the scorecard (and keep it as snapshots): each criterion's value, target, trend."""
    if ctx.invoked_subcommand is not None:
        return
    ws = open_workspace(ctx)
    now, g = moment(at, "--as-of"), grain(by)
    starts = resolve_periods(period, g, periods, now)
    scores = compute(ws, starts, g, now)
    keep(ws, Actor.cli(), scores, now)
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
    who = crit.ORG if team is None else team
    c = set_criterion_target(open_workspace(ctx), Actor.cli(), criterion, who, value)
    better = "at least" if c.direction == "higher" else "at most"
    typer.echo(f"{who}: {criterion} target {value:g} {c.unit} ({better})")


@app.command("criteria")
def criteria_(ctx: typer.Context, fmt: FormatOption = Format.table) -> None:
    """List the criteria in use: id, pillar, unit, direction, rollup, what each needs."""
    found = list_criteria(open_workspace(ctx))
    show_records(found, CriterionListed, fmt, "criteria")


@app.command("maturity")
def maturity(
    ctx: typer.Context,
    period: PeriodOption = None,
    by: GrainOption = "quarter",
    at: ScorecardAsOfOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """The maturity grid: each team's stage per pillar (kept as readings), with the reasons."""
    ws = open_workspace(ctx)
    now, g = moment(at, "--as-of"), grain(by)
    starts = resolve_periods(period, g, ws.config.scorecard.habitual_periods, now)
    _, readings = refresh(ws, Actor.cli(), starts, g, now)
    title = f"maturity ({period_start(starts[-1], g):%Y-%m-%d})"
    if fmt is Format.table:  # one row per team and pillar, so that the reasons can be read
        rows = [asdict(r) | {"why": "; ".join(r.reasons)} for r in readings]
        render(rows, ["team_id", "pillar", "stage", "why"], fmt, title=title)
        return
    show_records(maturity_grid(readings), MaturityRow, fmt, title)
