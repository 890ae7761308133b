"""`productops initiative ...`: improvement initiatives through the design-thinking cycle, with a
frozen baseline and an after-value (docs/scorecard.md#initiatives)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

import typer

from productops.commands.common import (
    FormatOption,
    ScorecardAsOfOption,
    TeamOption,
    known,
    moment,
    open_workspace,
)
from productops.render import Format, render
from productops.services import Actor
from productops.services import initiatives as service
from productops.services.initiatives import advance_initiative, start_initiative
from productops.services.rows import columns

app = typer.Typer(
    help="Improvement initiatives: empathize, define, ideate, prototype, test, implement.",
    no_args_is_help=True,
)

COLUMNS = columns(service.InitiativeListed)
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
    at: ScorecardAsOfOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Start an initiative at empathize; the criterion's current value is frozen as baseline."""
    ws = open_workspace(ctx)
    row, no_baseline = start_initiative(
        ws, Actor.cli(), team, title, criterion, moment(at, "--as-of")
    )
    _show([row], fmt, "initiative started")
    if no_baseline is not None and fmt is Format.table:
        typer.echo(f"No baseline: {no_baseline}")


@app.command("advance")
def advance(
    ctx: typer.Context,
    ref: Ref,
    to: Annotated[
        str | None, typer.Option("--to", help="The stage to move to (must be the next one).")
    ] = None,
    at: ScorecardAsOfOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Move an initiative to its next stage; at implement its after-value is measured."""
    row = advance_initiative(open_workspace(ctx), Actor.cli(), ref, to, moment(at, "--as-of"))
    _show([row], fmt, "initiative")


@app.command("list")
def list_(ctx: typer.Context, team: TeamOption = None, fmt: FormatOption = Format.table) -> None:
    """List initiatives, newest first."""
    found = service.list_initiatives(open_workspace(ctx), team)
    _show([asdict(i) for i in found], fmt, "initiatives")


@app.command("show")
def show(ctx: typer.Context, ref: Ref, fmt: FormatOption = Format.table) -> None:
    """Show one initiative: stage, criterion, baseline and after-value."""
    _show([asdict(service.show_initiative(open_workspace(ctx), ref))], fmt, "initiative")
