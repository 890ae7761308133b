"""`productops flow ...`: delivery flow per team and period (definitions: docs/metrics.md)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, timedelta
from typing import Annotated, Any

import numpy as np
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
    known,
    open_workspace,
    show,
)
from productops.config import WorkflowSettings
from productops.errors import UsageError
from productops.pillars import process as p
from productops.render import Format, render
from productops.services.flow import flow_items
from productops.workspace import Workspace

app = typer.Typer(
    help="Delivery flow: lead and cycle time, throughput, WIP, time in status, bottlenecks, "
    "dependencies, workflow conformance, time-to-market, forecasts.",
    no_args_is_help=True,
)
PERCENTILE_COLUMNS = ["team_id", "period_start", "items", "p50", "p70", "p85", "p95"]


def _stays(ws: Workspace, when: AsOfOption) -> Any:
    b = ws.backend()
    return p.status_stays(b.table("work_item"), b.table("work_item_transition"), as_of(when))


def _workflow(settings: WorkflowSettings) -> p.Workflow:
    return p.Workflow(
        tuple(settings.statuses),
        tuple(settings.optional),
        tuple(settings.allowed),
        settings.threshold,
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
    found = flow_items(open_workspace(ctx), as_of(when), team, limit)
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
    g = grain(period)
    expr = p.lead_time(open_workspace(ctx).backend().table("work_item"), g)
    show(expr, PERCENTILE_COLUMNS, fmt, f"lead time in days per team and {g}", team, since, until)


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
    g = grain(period)
    ws = open_workspace(ctx)
    expr = p.cycle_time(p.flow_items(ws.backend().table("work_item"), _stays(ws, when)), g)
    show(expr, PERCENTILE_COLUMNS, fmt, f"cycle time in days per team and {g}", team, since, until)


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
    g = grain(period)
    expr = p.throughput(open_workspace(ctx).backend().table("work_item"), g, as_of(when))
    show(
        expr,
        ["team_id", "period_start", "items", "per_week", "partial"],
        fmt,
        f"items done per team and {g}",
        team,
        since,
        until,
    )


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
    g = grain(period)
    expr = p.wip(open_workspace(ctx).backend().table("work_item"), g)
    show(
        expr,
        ["team_id", "period_start", "wip"],
        fmt,
        f"items in progress at the end of each {g}",
        team,
        since,
        until,
    )


@app.command()
def aging(
    ctx: typer.Context,
    team: TeamOption = None,
    when: AsOfOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Items in progress now, their age against the team's cycle-time percentiles."""
    ws = open_workspace(ctx)
    expr = p.aging_wip(p.flow_items(ws.backend().table("work_item"), _stays(ws, when)), as_of(when))
    columns = [
        "work_item_id",
        "team_id",
        "status",
        "started_at",
        "age_days",
        "p50",
        "p85",
        "p95",
        "band",
    ]
    show(expr, columns, fmt, "aging work in progress", team)


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
    g = grain(period)
    ws = open_workspace(ctx)
    expr = p.status_share(_stays(ws, when), ws.backend().table("work_item"), g)
    columns = ["team_id", "period_start", "status", "items", "days", "share", "previous_share"]
    show(expr, columns, fmt, f"time in status per team and {g}", team, since, until)


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
    g = grain(period)
    ws = open_workspace(ctx)
    waits = ws.config.workflow.wait_statuses
    expr = p.bottleneck(_stays(ws, when), ws.backend().table("work_item"), g, waits)
    columns = [
        "team_id",
        "period_start",
        "status",
        "items",
        "days",
        "share_of_waiting",
        "share_of_cycle",
        "trend",
    ]
    show(expr, columns, fmt, f"bottleneck per team and {g}", team, since, until)


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
    g = grain(period)
    ws = open_workspace(ctx)
    b = ws.backend()
    expr = p.flow_efficiency(
        _stays(ws, when),
        b.table("work_item"),
        b.table("work_item_flag"),
        as_of(when),
        g,
        ws.config.workflow.wait_statuses,
    )
    columns = [
        "team_id",
        "period_start",
        "items",
        "cycle_days",
        "waiting_days",
        "active_days",
        "efficiency",
    ]
    show(expr, columns, fmt, f"flow efficiency per team and {g}", team, since, until)


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
    g = grain(period)
    b = open_workspace(ctx).backend()
    blocks = p.cross_team_blocks(b.table("work_item"), b.table("work_item_link"), as_of(when))
    columns = ["team_id", "period_start", "items_delayed", "blocked_days"]
    show(
        p.dependency_delays(blocks, g),
        columns,
        fmt,
        f"cross-team delays per team and {g}",
        team,
        since,
        until,
    )


@app.command("blocking-pairs")
def blocking_pairs(
    ctx: typer.Context,
    team: TeamOption = None,
    when: AsOfOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Team pairs ranked by the days one team's items blocked the other's."""
    b = open_workspace(ctx).backend()
    blocks = p.cross_team_blocks(b.table("work_item"), b.table("work_item_link"), as_of(when))
    columns = ["blocking_team", "blocked_team", "links", "items_delayed", "blocked_days"]
    show(p.blocking_pairs(blocks), columns, fmt, "most blocking team pairs", team)


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
    g = grain(period)
    ws = open_workspace(ctx)
    b = ws.backend()
    workflow = _workflow(ws.config.workflow)
    found = p.deviations(b.table("work_item"), b.table("work_item_transition"), workflow)
    expr = p.conformance(b.table("work_item"), found, g, workflow)
    columns = ["team_id", "period_start", "items", "conforming", "share", "team_conforms"]
    show(expr, columns, fmt, f"workflow conformance per team and {g}", team, since, until)


@app.command()
def deviations(
    ctx: typer.Context, team: TeamOption = None, fmt: FormatOption = Format.table
) -> None:
    """The most common deviations from the standard workflow."""
    ws = open_workspace(ctx)
    b = ws.backend()
    found = p.deviations(
        b.table("work_item"), b.table("work_item_transition"), _workflow(ws.config.workflow)
    )
    if team is not None:
        found = found.filter(found.team_id == team)
    show(
        p.common_deviations(found),
        ["deviation", "items", "teams", "moves"],
        fmt,
        "deviations from the standard workflow",
    )


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
    g = grain(period)
    b = open_workspace(ctx).backend()
    expr = p.time_to_market(b.table("work_item"), b.table("feedback_link"), g)
    columns = [
        "team_id",
        "period_start",
        "features",
        "p50_days",
        "p85_days",
        "insight_features",
        "insight_p50_days",
    ]
    show(expr, columns, fmt, f"time-to-market in days per team and {g}", team, since, until)


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
    end = as_of(when).replace(hour=0, minute=0, second=0, microsecond=0)
    start = end - timedelta(days=history)
    done = p.throughput(open_workspace(ctx).backend().table("work_item"), "day", end)
    done = done.filter(
        (done.team_id == team) & (done.period_start >= start) & (done.period_start < end)
    )
    daily = np.zeros(history, dtype=np.int64)
    for r in done.to_pyarrow().to_pylist():
        daily[(r["period_start"].astimezone(UTC) - start).days] += r["items"]
    result = p.when_done(daily, items_) if items_ is not None else p.how_many(daily, days or 0)
    unit = "days" if items_ is not None else "items"
    rows = [{"confidence": f"{c}%", unit: v} for c, v in sorted(result.values.items())]
    render(
        rows,
        ["confidence", unit],
        fmt,
        title=f"forecast for {team} from {history} days of throughput",
    )
    if result.warning:
        typer.echo(f"warning: {result.warning}", err=True)
