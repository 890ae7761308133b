"""`productops activity ...`: log and count workshops, insight sessions, trainings, tools
onboarded, retrospectives, process reviews and onboardings (definitions: docs/surveys.md)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer

from productops.commands.common import (
    FormatOption,
    GrainOption,
    SinceOption,
    TeamOption,
    UntilOption,
    err,
    known,
    moment,
    open_workspace,
    periods,
    show_records,
)
from productops.registry.activities import ACTIVITY_KINDS
from productops.render import Format, render
from productops.services import activities as service
from productops.services.actor import Actor
from productops.services.rows import columns

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
    return service.activity_kind(text, "--kind")


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
    logged = service.log_activity(
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
    found = service.list_activities(open_workspace(ctx), team, _kind(kind), limit)
    rows = [asdict(r) for r in found]
    if fmt is Format.table:
        for row in rows:
            row["notes"] = (row["notes"] or "").replace("\n", "; ")
    render(rows, columns(service.ActivityListed), fmt, title="activities")


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
    found = service.activity_summary(open_workspace(ctx), periods(period, team, since, until))
    show_records(found, service.ActivitySummary, fmt, "activities held")


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
    found = service.onboarding_time(open_workspace(ctx), periods(period, team, since, until))
    show_records(found, service.OnboardingTime, fmt, "onboarding time (days)")


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
    found = service.retrospectives(open_workspace(ctx), periods(period, team, since, until))
    show_records(found, service.Retrospectives, fmt, "retrospectives and reviews")
    if found and not any(r.with_bottleneck or r.actions for r in found):
        err.print(
            "No bottleneck or action recorded yet: log them with "
            "`productops activity log TEAM retrospective --bottleneck ... --action ...`.",
            highlight=False,
        )
