"""`productops flow ...`: delivery flow per team and period (definitions: docs/metrics.md)."""

from __future__ import annotations

import typer

from productops.commands.common import FormatOption, GrainOption, grain, open_workspace
from productops.pillars.process import lead_time, throughput
from productops.render import Format, render

app = typer.Typer(
    help="Delivery flow per team and period: lead time, throughput.", no_args_is_help=True
)


@app.command("lead-time")
def lead_time_(
    ctx: typer.Context, period: GrainOption = "month", fmt: FormatOption = Format.table
) -> None:
    """Lead time percentiles in days (created to done) per team and period."""
    g = grain(period)
    rows = lead_time(open_workspace(ctx).backend().table("work_item"), g).to_pyarrow().to_pylist()
    render(
        rows,
        ["team_id", "period_start", "items", "p50", "p70", "p85", "p95"],
        fmt,
        title=f"lead time in days per team and {g}",
    )


@app.command("throughput")
def throughput_(
    ctx: typer.Context, period: GrainOption = "week", fmt: FormatOption = Format.table
) -> None:
    """Work items done per team and period."""
    g = grain(period)
    rows = throughput(open_workspace(ctx).backend().table("work_item"), g).to_pyarrow().to_pylist()
    render(rows, ["team_id", "period_start", "items"], fmt, title=f"items done per team and {g}")
