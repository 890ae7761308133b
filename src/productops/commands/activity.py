"""`productops activity ...`: log and count workshops, insight sessions, trainings, tools
onboarded, retrospectives, process reviews and onboardings (definitions: docs/surveys.md)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict
from typing import TYPE_CHECKING, Annotated, Any

import typer

from productops import ops
from productops.commands.common import (
    FormatOption,
    GrainOption,
    SinceOption,
    TeamOption,
    UntilOption,
    as_of,
    err,
    grain,
    known,
    moment,
    open_workspace,
    show,
)
from productops.errors import UsageError
from productops.registry.activities import ACTIVITY_KINDS, list_activities
from productops.render import Format, render
from productops.services.activities import log_activity
from productops.services.actor import Actor

if TYPE_CHECKING:
    from datetime import datetime

    import ibis.expr.types as ir

app = typer.Typer(
    help="Activities: workshops, insight sessions, trainings, tools onboarded, retrospectives, "
    "process reviews and onboarding of new members.",
    no_args_is_help=True,
)

KindOption = Annotated[
    str | None, typer.Option("--kind", "-k", help=f"Only this kind: {', '.join(ACTIVITY_KINDS)}.")
]
Repeated = list[str] | None


def _kind(text: str | None) -> str | None:
    if text is not None and text not in ACTIVITY_KINDS:
        raise UsageError(f"--kind {text!r}: use one of {', '.join(ACTIVITY_KINDS)}")
    return text


@app.command("log")
def log(
    ctx: typer.Context,
    team: Annotated[
        str, typer.Argument(help="Team (or group of teams) that held it.", callback=known("team"))
    ],
    kind: Annotated[str, typer.Argument(help=f"One of {', '.join(ACTIVITY_KINDS)}.")],
    title: Annotated[str | None, typer.Option(help="What it was, e.g. 'Sprint 12 retro'.")] = None,
    at: Annotated[
        str | None,
        typer.Option(
            "--at", help="When it was held (onboarding: the start); ISO 8601, default now."
        ),
    ] = None,
    ended: Annotated[
        str | None,
        typer.Option("--ended", help="When it ended (onboarding: when productive); ISO 8601."),
    ] = None,
    person: Annotated[
        str | None, typer.Option(help="Onboarding: the new member's person id.")
    ] = None,
    attendees: Annotated[int | None, typer.Option(help="How many took part.")] = None,
    notes: Annotated[str | None, typer.Option(help="Free notes.")] = None,
    bottleneck: Annotated[Repeated, typer.Option(help="A bottleneck named, repeatable.")] = None,
    action: Annotated[Repeated, typer.Option(help="An action agreed, repeatable.")] = None,
    done: Annotated[Repeated, typer.Option(help="An action done, repeatable.")] = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Log an activity; logging the same team, kind and start again updates it."""
    logged = log_activity(
        open_workspace(ctx),
        Actor.cli(),
        team_id=team,
        kind=kind,
        title=title,
        held_at=moment(at),
        ended_at=None if ended is None else moment(ended, "--ended"),
        person_id=person,
        attendees=attendees,
        notes=notes,
        bottlenecks=bottleneck or [],
        actions=action or [],
        done=done or [],
    )
    render([asdict(logged)], ["id", "team_id", "kind"], fmt)


@app.command("list")
def list_(
    ctx: typer.Context,
    team: TeamOption = None,
    kind: KindOption = None,
    limit: Annotated[int | None, typer.Option(help="Show at most this many (newest first).")] = 50,
    fmt: FormatOption = Format.table,
) -> None:
    """List activities, newest first, with onboarding days for onboardings."""
    rows = list_activities(open_workspace(ctx).store, team, _kind(kind), limit)
    columns = ["id", "team_id", "kind", "title", "held_at", "ended_at", "attendees"]
    columns += ["onboarding_days", "notes"]
    if fmt is Format.table:
        for row in rows:
            row["notes"] = (row["notes"] or "").replace("\n", "; ")
    render(rows, columns, fmt, title="activities")


def _filtered(
    expr: ir.Table, team: str | None, since: datetime | None, until: datetime | None
) -> list[dict[str, Any]]:
    if team is not None:
        expr = expr.filter(expr.team_id == team)
    if since is not None:
        expr = expr.filter(expr.period_start >= as_of(since))
    if until is not None:
        expr = expr.filter(expr.period_start < as_of(until))
    rows: list[dict[str, Any]] = expr.to_pyarrow().to_pylist()
    return rows


@app.command("summary")
def summary(
    ctx: typer.Context,
    team: TeamOption = None,
    period: GrainOption = "quarter",
    since: SinceOption = None,
    until: UntilOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Activities held per team and period, one column per kind."""
    ws = open_workspace(ctx)
    expr = ops.activity_counts(ws.backend().table("activity"), grain(period))
    wide: dict[tuple[Any, Any], dict[str, Any]] = defaultdict(dict)
    for row in _filtered(expr, team, since, until):
        key = (row["team_id"], row["period_start"])
        wide[key] |= {"team_id": key[0], "period_start": key[1], row["kind"]: row["activities"]}
    rows = [{k: 0 for k in ACTIVITY_KINDS} | wide[key] for key in sorted(wide)]
    render(rows, ["team_id", "period_start", *ACTIVITY_KINDS], fmt, title="activities held")


@app.command("onboarding")
def onboarding(
    ctx: typer.Context,
    team: TeamOption = None,
    period: GrainOption = "quarter",
    since: SinceOption = None,
    until: UntilOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Days from start to productive of new members, per team and period they became productive."""
    ws = open_workspace(ctx)
    expr = ops.onboarding_time(ws.backend().table("activity"), grain(period))
    columns = ["team_id", "period_start", "members", "median_days", "mean_days", "max_days"]
    show(expr, columns, fmt, "onboarding time (days)", team, since, until)


@app.command("retros")
def retros(
    ctx: typer.Context,
    team: TeamOption = None,
    period: GrainOption = "quarter",
    since: SinceOption = None,
    until: UntilOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Retrospectives and process reviews held, bottlenecks named, actions agreed and done."""
    ws = open_workspace(ctx)
    expr = ops.retrospectives(ws.backend().table("activity"), grain(period))
    columns = ["team_id", "period_start", "kind", "held", "with_bottleneck", "actions", "done"]
    rows = show(
        expr, [*columns, "done_share"], fmt, "retrospectives and reviews", team, since, until
    )
    if rows and not any(r["with_bottleneck"] or r["actions"] for r in rows):
        err.print(
            "No bottleneck or action recorded yet: log them with "
            "`productops activity log TEAM retrospective --bottleneck ... --action ...`.",
            highlight=False,
        )
