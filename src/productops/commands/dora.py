"""`productops dora ...`: DORA's four keys per team and period, with performance bands."""

from __future__ import annotations

from typing import Annotated

import typer

from productops.commands.common import (
    FormatOption,
    GrainOption,
    SinceOption,
    TeamOption,
    UntilOption,
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
YearOption = Annotated[
    int, typer.Option("--year", help="DORA report year whose bands to use: 2021, 2023 or 2024.")
]


def _year(value: int) -> p.ReportYear:
    for year in p.REPORT_YEARS:
        if value == year:
            return year
    raise UsageError(f"--year {value}: use one of {', '.join(map(str, p.REPORT_YEARS))}")


@app.command()
def frequency(
    ctx: typer.Context,
    period: GrainOption = "month",
    team: TeamOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    year: YearOption = 2024,
    fmt: FormatOption = Format.table,
) -> None:
    """Deployment frequency: production deployments and deployment days per week."""
    g = grain(period)
    expr = p.deployment_frequency(open_workspace(ctx).backend().table("deployment"), g, _year(year))
    columns = ["team_id", "period_start", "deployments", "deployment_days", "per_week", "band"]
    show(
        expr,
        columns,
        fmt,
        f"deployment frequency per team and {g} (bands: DORA {year})",
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
    year: YearOption = 2024,
    fmt: FormatOption = Format.table,
) -> None:
    """Lead time for changes in hours (first commit to production), by stage."""
    g = grain(period)
    b = open_workspace(ctx).backend()
    expr = p.change_lead_time(
        b.table("change"), b.table("deployment"), b.table("deployment_change"), g, _year(year)
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
        f"lead time for changes per team and {g} (bands: DORA {year})",
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
    year: YearOption = 2024,
    fmt: FormatOption = Format.table,
) -> None:
    """Change failure rate: production deployments that caused an incident."""
    g = grain(period)
    b = open_workspace(ctx).backend()
    expr = p.change_failure_rate(b.table("deployment"), b.table("incident"), g, _year(year))
    columns = ["team_id", "period_start", "deployments", "failed", "rate", "band"]
    show(
        expr,
        columns,
        fmt,
        f"change failure rate per team and {g} (bands: DORA {year})",
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
    year: YearOption = 2024,
    fmt: FormatOption = Format.table,
) -> None:
    """Failed deployment recovery time in hours (incident opened to resolved)."""
    g = grain(period)
    expr = p.recovery_time(open_workspace(ctx).backend().table("incident"), g, _year(year))
    columns = ["team_id", "period_start", "incidents", "median_hours", "p85_hours", "band"]
    show(
        expr,
        columns,
        fmt,
        f"recovery time per team and {g} (bands: DORA {year})",
        team,
        since,
        until,
    )
