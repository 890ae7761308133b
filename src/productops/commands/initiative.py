"""`productops initiative ...`: improvement initiatives through the design-thinking cycle, with a
frozen baseline and an after-value (docs/scorecard.md#initiatives)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from productops.commands.common import FormatOption, TeamOption, known, moment, open_workspace
from productops.commands.scorecard import AsOf, criterion_value
from productops.ops.initiatives import CYCLE, check_criterion, next_stage
from productops.registry import improvement
from productops.render import Format, render

app = typer.Typer(
    help="Improvement initiatives: empathize, define, ideate, prototype, test, implement.",
    no_args_is_help=True,
)

COLUMNS = ["id", "team_id", "title", "stage", "target_metric", "baseline", "baseline_period"]
COLUMNS += ["after", "started_at", "stage_at", "ended_at"]
Ref = Annotated[
    str,
    typer.Argument(
        help="The initiative's id or the part after `productops:initiative-` (or its start).",
        callback=known("initiative"),
    ),
]


def _show(rows: list[dict[str, Any]], fmt: Format, title: str) -> None:
    render(rows, COLUMNS, fmt, title=title)


@app.command("new")
def new(
    ctx: typer.Context,
    team: Annotated[str, typer.Argument(help="The team running it.", callback=known("team"))],
    title: Annotated[str, typer.Argument(help="What it sets out to improve.")],
    criterion: Annotated[
        str,
        typer.Option(
            "--criterion",
            "-c",
            help="Criterion it should move (its id).",
            callback=known("criterion"),
        ),
    ],
    at: AsOf = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Start an initiative at empathize; the criterion's current value is frozen as baseline."""
    ws = open_workspace(ctx)
    now = moment(at, "--as-of")
    check_criterion(criterion, tuple(c.id for c in ws.config.scorecard.custom))
    base = criterion_value(ws, criterion, team, now)
    ident = improvement.add_initiative(
        ws.store,
        team_id=team,
        title=title,
        criterion=criterion,
        baseline=base.value,
        baseline_period=f"{base.grain}:{base.period_start:%Y-%m-%d}",
        stage=CYCLE[0],
        at=now,
    )
    _show([improvement.load_initiative(ws.store, ident)], fmt, "initiative started")
    if base.value is None and fmt is Format.table:
        typer.echo(f"No baseline: {base.reason}")


@app.command("advance")
def advance(
    ctx: typer.Context,
    ref: Ref,
    to: Annotated[
        str | None, typer.Option("--to", help="The stage to move to (must be the next one).")
    ] = None,
    at: AsOf = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Move an initiative to its next stage; at implement its after-value is measured."""
    ws = open_workspace(ctx)
    now = moment(at, "--as-of")
    row = improvement.load_initiative(ws.store, ref)
    stage = next_stage(row["stage"], to)
    changes: dict[str, Any] = {"stage": stage, "stage_at": now}
    if stage == CYCLE[-1]:
        after = criterion_value(ws, row["target_metric"], row["team_id"], now)
        changes |= {"after": after.value, "ended_at": now}
    _show([improvement.update_initiative(ws.store, row["id"], **changes)], fmt, "initiative")


@app.command("list")
def list_(ctx: typer.Context, team: TeamOption = None, fmt: FormatOption = Format.table) -> None:
    """List initiatives, newest first."""
    _show(improvement.list_initiatives(open_workspace(ctx).store, team), fmt, "initiatives")


@app.command("show")
def show(ctx: typer.Context, ref: Ref, fmt: FormatOption = Format.table) -> None:
    """Show one initiative: stage, criterion, baseline and after-value."""
    _show([improvement.load_initiative(open_workspace(ctx).store, ref)], fmt, "initiative")
