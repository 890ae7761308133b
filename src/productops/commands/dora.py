"""`productops dora ...`: DORA's four keys per team and period, with performance bands."""

from __future__ import annotations

from typing import Annotated

import typer

from productops.commands.common import (
    AsOfOption,
    FormatOption,
    GrainOption,
    SinceOption,
    TeamOption,
    UntilOption,
    as_of,
    grain,
    open_workspace,
    show,
)
from productops.errors import UsageError
from productops.pillars import process as p
from productops.render import Format

app = typer.Typer(
    help="DORA: deployment frequency, lead time for changes, change failure rate, recovery time.",
    no_args_is_help=True,
)
BandsOption = Annotated[
    int,
    typer.Option(
        "--bands", help="Performance bands of this DORA report (its year): 2021, 2023 or 2024."
    ),
]


LinkHoursOption = Annotated[
    float,
    typer.Option(
        "--link-hours",
        min=0,
        help="An incident raised on a service (PagerDuty, Opsgenie) is caused by its team's last "
        "production deployment at most this many hours before it.",
    ),
]


def _bands(value: int) -> p.ReportYear:
    for report in p.REPORT_YEARS:
        if value == report:
            return report
    raise UsageError(f"--bands {value}: use one of {', '.join(map(str, p.REPORT_YEARS))}")


@app.command()
def frequency(
    ctx: typer.Context,
    period: GrainOption = "month",
    team: TeamOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    bands: BandsOption = 2024,
    when: AsOfOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Deployment frequency: production deployments and deployment days per week (a period
    still running at --as-of is `partial`: per week of its elapsed part)."""
    g = grain(period)
    table = open_workspace(ctx).backend().table("deployment")
    expr = p.deployment_frequency(table, g, _bands(bands), as_of(when))
    columns = [
        "team_id",
        "period_start",
        "deployments",
        "deployment_days",
        "per_week",
        "partial",
        "band",
    ]
    show(
        expr,
        columns,
        fmt,
        f"deployment frequency per team and {g} (bands: DORA {bands})",
        team,
        since,
        until,
    )


@app.command("lead-time")
def lead_time(
    ctx: typer.Context,
    period: GrainOption = "month",
    team: TeamOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    bands: BandsOption = 2024,
    fmt: FormatOption = Format.table,
) -> None:
    """Lead time for changes in hours (first commit to production), by stage."""
    g = grain(period)
    b = open_workspace(ctx).backend()
    expr = p.change_lead_time(
        b.table("change"), b.table("deployment"), b.table("deployment_change"), g, _bands(bands)
    )
    columns = [
        "team_id",
        "period_start",
        "changes",
        "lead_time_hours",
        "coding_hours",
        "pickup_hours",
        "review_hours",
        "deploy_hours",
        "band",
    ]
    show(
        expr,
        columns,
        fmt,
        f"lead time for changes per team and {g} (bands: DORA {bands})",
        team,
        since,
        until,
    )


@app.command("failure-rate")
def failure_rate(
    ctx: typer.Context,
    period: GrainOption = "month",
    team: TeamOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    bands: BandsOption = 2024,
    link_hours: LinkHoursOption = p.LINK_HOURS,
    fmt: FormatOption = Format.table,
) -> None:
    """Change failure rate: production deployments that caused an incident."""
    g = grain(period)
    b = open_workspace(ctx).backend()
    deployment = b.table("deployment")
    incident = p.caused_incidents(b.table("incident"), deployment, link_hours)
    expr = p.change_failure_rate(deployment, incident, g, _bands(bands))
    columns = ["team_id", "period_start", "deployments", "failed", "rate", "band"]
    show(
        expr,
        columns,
        fmt,
        f"change failure rate per team and {g} (bands: DORA {bands})",
        team,
        since,
        until,
    )


@app.command()
def recovery(
    ctx: typer.Context,
    period: GrainOption = "month",
    team: TeamOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    bands: BandsOption = 2024,
    link_hours: LinkHoursOption = p.LINK_HOURS,
    fmt: FormatOption = Format.table,
) -> None:
    """Failed deployment recovery time in hours (incident opened to resolved)."""
    g = grain(period)
    b = open_workspace(ctx).backend()
    incident = p.caused_incidents(b.table("incident"), b.table("deployment"), link_hours)
    expr = p.recovery_time(incident, g, _bands(bands))
    columns = ["team_id", "period_start", "incidents", "median_hours", "p85_hours", "band"]
    show(
        expr,
        columns,
        fmt,
        f"recovery time per team and {g} (bands: DORA {bands})",
        team,
        since,
        until,
    )
