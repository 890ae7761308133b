"""`productops nudge ...`: offer nudges where teams are ready, accept, dismiss, complete and
measure them (rules and readiness: docs/scorecard.md#nudges)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

import typer

from productops.commands.common import (
    FormatOption,
    GrainOption,
    PeriodOption,
    ScorecardAsOfOption,
    TeamOption,
    grain,
    known,
    moment,
    resolve_periods,
)
from productops.commands.common import open_workspace as open_ws
from productops.errors import UsageError
from productops.ops.nudges import RULES
from productops.render import Format, render
from productops.services import Actor
from productops.services.nudges import (
    NudgeListed,
    accept_nudge,
    list_nudges,
    measure_nudges,
    move_nudge,
    offer_nudges,
)
from productops.services.rows import columns

app = typer.Typer(
    help="Nudges: suggestions triggered by a criterion's gap, offered only where a team is ready.",
    no_args_is_help=True,
)

COLUMNS = columns(NudgeListed)
Ref = Annotated[
    str,
    typer.Argument(
        help="The nudge's id or the part after `productops:nudge-` (or its start).",
        callback=known("nudge"),
    ),
]


def _show(rows: list[dict[str, Any]], fmt: Format, title: str) -> None:
    render(rows, COLUMNS, fmt, title=title)


@app.command("list")
def list_(
    ctx: typer.Context,
    team: TeamOption = None,
    status: Annotated[
        str | None, typer.Option(help="Only this status: offered, accepted, dismissed, done.")
    ] = None,
    fmt: FormatOption = Format.table,
) -> None:
    """List nudges, newest first."""
    found = list_nudges(open_ws(ctx), team, status)
    render([asdict(n) for n in found], COLUMNS, fmt, "nudges")


@app.command("offer")
def offer(
    ctx: typer.Context,
    period: PeriodOption = None,
    by: GrainOption = "quarter",
    at: ScorecardAsOfOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Offer the nudges whose criterion shows a gap, to the teams ready for them."""
    ws = open_ws(ctx)
    now, g = moment(at, "--as-of"), grain(by)
    starts = resolve_periods(period, g, ws.config.scorecard.habitual_periods, now)
    made = [asdict(o) for o in offer_nudges(ws, Actor.cli(), starts, g, now)]
    render(made, ["id", "team_id", "rule", "criterion", "next_step"], fmt, "nudges offered")


@app.command("accept")
def accept(
    ctx: typer.Context, ref: Ref, at: ScorecardAsOfOption = None, fmt: FormatOption = Format.table
) -> None:
    """Accept a nudge; its criterion's current value becomes the baseline."""
    row = accept_nudge(open_ws(ctx), Actor.cli(), ref, moment(at, "--as-of"))
    _show([row], fmt, "nudge accepted")
    rule = RULES.get(row["rule"])
    if rule is not None and fmt is Format.table:
        typer.echo(f"Next step: {rule.next_step}")
        for line in rule.playbook:
            typer.echo(f"  - {line}")


@app.command("dismiss")
def dismiss(
    ctx: typer.Context,
    ref: Ref,
    reason: Annotated[str, typer.Option("--reason", help="Why the team does not take it up.")],
    at: ScorecardAsOfOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Dismiss a nudge, saying why; the same rule is not offered again for a while."""
    if not reason.strip():
        raise UsageError("--reason: say why the nudge is dismissed")
    when = moment(at, "--as-of")
    row = move_nudge(open_ws(ctx), Actor.cli(), ref, "dismissed", when, reason=reason.strip())
    _show([row], fmt, "nudge")


@app.command("done")
def done(
    ctx: typer.Context,
    ref: Ref,
    outcome: Annotated[str | None, typer.Option(help="What was done.")] = None,
    at: ScorecardAsOfOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Mark an accepted nudge done."""
    when = moment(at, "--as-of")
    row = move_nudge(open_ws(ctx), Actor.cli(), ref, "done", when, outcome=outcome)
    _show([row], fmt, "nudge done")


@app.command("measure")
def measure(
    ctx: typer.Context, at: ScorecardAsOfOption = None, fmt: FormatOption = Format.table
) -> None:
    """Measure the effect of nudges accepted at least `scorecard.measure_days` days ago."""
    measured = measure_nudges(open_ws(ctx), Actor.cli(), moment(at, "--as-of"))
    _show(measured, fmt, "nudges measured")
