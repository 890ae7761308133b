"""`productops metrics ...`: the metric catalog (definitions and types: docs/catalog.md)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

import typer

from productops.commands.common import (
    ByOption,
    FormatOption,
    GrainOption,
    SinceOption,
    UntilOption,
    WhereOption,
    grain,
    known,
    log_usage,
    open_workspace,
    show_records,
)
from productops.render import Format, render, render_sections
from productops.services import catalog as service

__all__ = ["app"]

app = typer.Typer(
    help="The metric catalog: find, read and query governed metrics (docs/catalog.md).",
    no_args_is_help=True,
)
MetricArg = Annotated[
    str, typer.Argument(help="The metric's name (or its start).", callback=known("metric"))
]


@app.command("list")
def list_(
    ctx: typer.Context,
    status: Annotated[
        str | None, typer.Option(help="Only metrics with this status (draft, certified, ...).")
    ] = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Every metric in the catalog: type, unit, direction, status, owner."""
    found = service.list_metrics(open_workspace(ctx), status)
    show_records(found, service.MetricListed, fmt, "metrics")


@app.command()
def search(ctx: typer.Context, text: str, fmt: FormatOption = Format.table) -> None:
    """Metrics whose name, owner or description match every word of TEXT, best first."""
    ws = open_workspace(ctx)
    found = service.search_metrics(ws, text)
    log_usage(ws, "search", text, results=len(found))
    show_records(found, service.MetricFound, fmt, f"metrics matching {text!r}")


@app.command("show")
def show_(
    ctx: typer.Context,
    metric: MetricArg,
    period: GrainOption = "week",
    sql: Annotated[bool, typer.Option("--sql", help="Also print the compiled SQL.")] = False,
    fmt: FormatOption = Format.table,
) -> None:
    """A metric's definition, dimensions and where it is defined (with --sql, its SQL)."""
    ws = open_workspace(ctx)
    m = service.show_metric(ws, metric, grain(period))
    log_usage(ws, "open", m.name)
    shown = asdict(m) | {"direction": f"{m.direction} is better"}
    if fmt is not Format.json:
        shown["definition"] = "; ".join(f"{k}: {v}" for k, v in m.definition.items())
    names = [f for f in shown if f != "sql"] + (["sql"] if sql and fmt is not Format.table else [])
    fields: list[dict[str, Any]] = [
        {"field": "defined in" if f == "defined_in" else f, "value": shown[f]} for f in names
    ]
    if fmt is Format.table:
        render(fields, ["field", "value"], fmt, title=m.name)
        if sql:
            typer.echo(m.sql)
        return
    render_sections({m.name: (fields, ["field", "value"])}, fmt)


@app.command()
def query(
    ctx: typer.Context,
    metric: MetricArg,
    by: ByOption = None,
    period: GrainOption = "week",
    where: WhereOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    limit: Annotated[int | None, typer.Option(help="Show at most this many rows.")] = None,
    fmt: FormatOption = Format.table,
) -> None:
    """A metric per period (and dimensions): `--by team --grain week --where 'plan != free'`."""
    ws = open_workspace(ctx)
    found = service.query_metric(
        ws,
        metric,
        by=by or [],
        grain=grain(period),
        where=where or [],
        since=since,
        until=until,
        limit=limit,
    )
    log_usage(
        ws, "query", metric, by=by or [], grain=period, where=where or [], rows=len(found.rows)
    )
    render(found.rows, found.columns, fmt, title=f"{metric} ({found.unit}) per {period}")
