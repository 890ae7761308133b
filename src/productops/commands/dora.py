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
    open_workspace,
    periods,
    show_records,
)
from productops.render import Format
from productops.services import dora as service

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
    asked, year = periods(period, team, since, until), service.report_year(bands, "--bands")
    found = service.deployment_frequency(open_workspace(ctx), asked, year, as_of(when))
    title = f"deployment frequency per team and {asked.grain} (bands: DORA {bands})"
    show_records(found, service.DeploymentFrequency, fmt, title)


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
    asked, year = periods(period, team, since, until), service.report_year(bands, "--bands")
    found = service.change_lead_time(open_workspace(ctx), asked, year)
    title = f"lead time for changes per team and {asked.grain} (bands: DORA {bands})"
    show_records(found, service.ChangeLeadTime, fmt, title)


@app.command("failure-rate")
def failure_rate(
    ctx: typer.Context,
    period: GrainOption = "month",
    team: TeamOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    bands: BandsOption = 2024,
    link_hours: LinkHoursOption = service.LINK_HOURS,
    fmt: FormatOption = Format.table,
) -> None:
    """Change failure rate: production deployments that caused an incident."""
    asked, year = periods(period, team, since, until), service.report_year(bands, "--bands")
    ws = open_workspace(ctx)
    found = service.change_failure_rate(ws, asked, year, link_hours)
    title = f"change failure rate per team and {asked.grain} (bands: DORA {bands})"
    show_records(found, service.ChangeFailureRate, fmt, title)


@app.command()
def recovery(
    ctx: typer.Context,
    period: GrainOption = "month",
    team: TeamOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    bands: BandsOption = 2024,
    link_hours: LinkHoursOption = service.LINK_HOURS,
    fmt: FormatOption = Format.table,
) -> None:
    """Failed deployment recovery time in hours (incident opened to resolved)."""
    asked, year = periods(period, team, since, until), service.report_year(bands, "--bands")
    ws = open_workspace(ctx)
    found = service.recovery_time(ws, asked, year, link_hours)
    title = f"recovery time per team and {asked.grain} (bands: DORA {bands})"
    show_records(found, service.RecoveryTime, fmt, title)
