"""`productops flow ...`: delivery flow per team and period (definitions: docs/metrics.md)."""

from __future__ import annotations

from dataclasses import asdict
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
    known,
    open_workspace,
    periods,
    show_records,
)
from productops.errors import UsageError
from productops.render import Format, render
from productops.services import flow as service

app = typer.Typer(
    help="Delivery flow: lead and cycle time, throughput, WIP, time in status, bottlenecks, "
    "dependencies, workflow conformance, time-to-market, forecasts.",
    no_args_is_help=True,
)


@app.command()
def items(
    ctx: typer.Context,
    team: TeamOption = None,
    when: AsOfOption = None,
    limit: Annotated[int | None, typer.Option(help="Show at most this many items.")] = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Each work item: created, resolved, lead and cycle time, status changes, days in each status."""
    found = service.flow_items(open_workspace(ctx), as_of(when), team, limit)
    rows = [asdict(item) for item in found]
    if fmt is not Format.json:
        for row in rows:
            row["time_in_status"] = "; ".join(f"{s} {d}d" for s, d in row["time_in_status"].items())
    columns = [
        "work_item_id",
        "team_id",
        "created_at",
        "resolved_at",
        "lead_time_days",
        "cycle_time_days",
    ]
    render(rows, [*columns, "status_changes", "time_in_status"], fmt, title="work items")


@app.command("lead-time")
def lead_time(
    ctx: typer.Context,
    period: GrainOption = "month",
    team: TeamOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Lead time percentiles in days (created to done) per team and period."""
    asked = periods(period, team, since, until)
    found = service.lead_time(open_workspace(ctx), asked)
    show_records(found, service.Percentiles, fmt, f"lead time in days per team and {asked.grain}")


@app.command("cycle-time")
def cycle_time(
    ctx: typer.Context,
    period: GrainOption = "month",
    team: TeamOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    when: AsOfOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Cycle time percentiles in days (time in in-progress statuses) per team and period."""
    asked = periods(period, team, since, until)
    found = service.cycle_time(open_workspace(ctx), asked, as_of(when))
    show_records(found, service.Percentiles, fmt, f"cycle time in days per team and {asked.grain}")


@app.command()
def throughput(
    ctx: typer.Context,
    period: GrainOption = "week",
    team: TeamOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    when: AsOfOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Work items done per team and period, and per week (a period still running at --as-of
    is `partial`: per week of its elapsed part)."""
    asked = periods(period, team, since, until)
    found = service.throughput(open_workspace(ctx), asked, as_of(when))
    show_records(found, service.Throughput, fmt, f"items done per team and {asked.grain}")


@app.command()
def wip(
    ctx: typer.Context,
    period: GrainOption = "week",
    team: TeamOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Work in progress at the end of each period, per team."""
    asked = periods(period, team, since, until)
    found = service.wip(open_workspace(ctx), asked)
    show_records(found, service.Wip, fmt, f"items in progress at the end of each {asked.grain}")


@app.command()
def aging(
    ctx: typer.Context,
    team: TeamOption = None,
    when: AsOfOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Items in progress now, their age against the team's cycle-time percentiles."""
    found = service.aging(open_workspace(ctx), as_of(when), team)
    show_records(found, service.Aging, fmt, "aging work in progress")


@app.command("time-in-status")
def time_in_status(
    ctx: typer.Context,
    period: GrainOption = "month",
    team: TeamOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    when: AsOfOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Days in each in-progress status and its share of cycle time, per team and period."""
    asked = periods(period, team, since, until)
    found = service.time_in_status(open_workspace(ctx), asked, as_of(when))
    show_records(found, service.StatusShare, fmt, f"time in status per team and {asked.grain}")


@app.command()
def bottleneck(
    ctx: typer.Context,
    period: GrainOption = "month",
    team: TeamOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    when: AsOfOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """The wait status holding the most waiting time, per team and period, and its trend."""
    asked = periods(period, team, since, until)
    found = service.bottleneck(open_workspace(ctx), asked, as_of(when))
    show_records(found, service.Bottleneck, fmt, f"bottleneck per team and {asked.grain}")


@app.command()
def efficiency(
    ctx: typer.Context,
    period: GrainOption = "month",
    team: TeamOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    when: AsOfOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Flow efficiency: active time over cycle time, per team and period."""
    asked = periods(period, team, since, until)
    found = service.efficiency(open_workspace(ctx), asked, as_of(when))
    show_records(found, service.Efficiency, fmt, f"flow efficiency per team and {asked.grain}")


@app.command()
def dependencies(
    ctx: typer.Context,
    period: GrainOption = "month",
    team: TeamOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    when: AsOfOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Items delayed by other teams' items and days blocked, per blocked team and period."""
    asked = periods(period, team, since, until)
    found = service.dependencies(open_workspace(ctx), asked, as_of(when))
    show_records(
        found, service.DependencyDelay, fmt, f"cross-team delays per team and {asked.grain}"
    )


@app.command("blocking-pairs")
def blocking_pairs(
    ctx: typer.Context,
    team: TeamOption = None,
    when: AsOfOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Team pairs ranked by the days one team's items blocked the other's."""
    found = service.blocking_pairs(open_workspace(ctx), as_of(when), team)
    show_records(found, service.BlockingPair, fmt, "most blocking team pairs")


@app.command()
def conformance(
    ctx: typer.Context,
    period: GrainOption = "month",
    team: TeamOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Share of finished items that followed the standard workflow, per team and period."""
    asked = periods(period, team, since, until)
    found = service.conformance(open_workspace(ctx), asked)
    show_records(
        found, service.Conformance, fmt, f"workflow conformance per team and {asked.grain}"
    )


@app.command()
def deviations(
    ctx: typer.Context, team: TeamOption = None, fmt: FormatOption = Format.table
) -> None:
    """The most common deviations from the standard workflow."""
    found = service.deviations(open_workspace(ctx), team)
    show_records(found, service.Deviation, fmt, "deviations from the standard workflow")


@app.command("time-to-market")
def time_to_market(
    ctx: typer.Context,
    period: GrainOption = "quarter",
    team: TeamOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Days from creation to release of features, and of those addressing customer insights."""
    asked = periods(period, team, since, until)
    found = service.time_to_market(open_workspace(ctx), asked)
    show_records(
        found, service.TimeToMarket, fmt, f"time-to-market in days per team and {asked.grain}"
    )


@app.command()
def forecast(
    ctx: typer.Context,
    team: Annotated[
        str, typer.Option("--team", "-t", help="The team to forecast.", callback=known("team"))
    ],
    items_: Annotated[
        int | None, typer.Option("--items", help="When will this many more items be done?")
    ] = None,
    days: Annotated[int | None, typer.Option(help="How many items in this many days?")] = None,
    history: Annotated[int, typer.Option(help="Days of daily throughput to draw from.")] = 90,
    when: AsOfOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Monte Carlo forecast: how many items in N days, or when N items will be done (50/85/95%)."""
    if (items_ is None) == (days is None):
        raise UsageError("flow forecast: give exactly one of --items N or --days N")
    found = service.forecast(
        open_workspace(ctx), team, as_of(when), items=items_, days=days, history=history
    )
    render(
        [asdict(line) for line in found.lines],
        ["confidence", found.unit],
        fmt,
        title=f"forecast for {team} from {history} days of throughput",
    )
    if found.warning:
        typer.echo(f"warning: {found.warning}", err=True)
