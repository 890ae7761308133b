"""`productops metrics ...`: the metric catalog (definitions and types: docs/catalog.md)."""

from __future__ import annotations

from typing import Annotated, Any

import ibis
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
)
from productops.pillars.data import Catalog, compile_metric, dimensions_of
from productops.render import Format, render, render_sections
from productops.services.catalog import workspace_catalog

__all__ = ["app"]

app = typer.Typer(
    help="The metric catalog: find, read and query governed metrics (docs/catalog.md).",
    no_args_is_help=True,
)
MetricArg = Annotated[
    str, typer.Argument(help="The metric's name (or its start).", callback=known("metric"))
]
LIST_COLUMNS = ["name", "type", "unit", "direction", "status", "owner", "description"]


def _row(catalog: Catalog, name: str) -> dict[str, Any]:
    metric = catalog.metrics[name]
    row = metric.model_dump(include=set(LIST_COLUMNS))
    row["origin"] = "builtin" if catalog.origins[f"metric:{name}"].builtin else "workspace"
    return row


@app.command("list")
def list_(
    ctx: typer.Context,
    status: Annotated[
        str | None, typer.Option(help="Only metrics with this status (draft, certified, ...).")
    ] = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Every metric in the catalog: type, unit, direction, status, owner."""
    catalog = workspace_catalog(open_workspace(ctx))
    rows = [_row(catalog, n) for n in sorted(catalog.metrics)]
    rows = [r for r in rows if status is None or r["status"] == status]
    render(rows, [*LIST_COLUMNS, "origin"], fmt, title="metrics")


@app.command()
def search(ctx: typer.Context, text: str, fmt: FormatOption = Format.table) -> None:
    """Metrics whose name, owner or description match every word of TEXT, best first."""
    ws = open_workspace(ctx)
    catalog = workspace_catalog(ws)
    rows = [{"score": score, **_row(catalog, m.name)} for score, m in catalog.search(text)]
    log_usage(ws, "search", text, results=len(rows))
    render(rows, ["score", *LIST_COLUMNS], fmt, title=f"metrics matching {text!r}")


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
    catalog = workspace_catalog(ws)
    m = catalog.metric(metric)
    log_usage(ws, "open", metric)
    origin = catalog.origins[f"metric:{metric}"]
    where = f"{'built-in ' + origin.path.name if origin.builtin else origin.path}:{origin.line}"
    if origin.overrides is not None:
        where += f" (overrides the definition in {origin.overrides})"
    definition = m.model_dump(exclude_defaults=True, exclude={"name", "description"})
    fields: list[dict[str, Any]] = [
        {"field": "name", "value": m.name},
        {"field": "description", "value": m.description},
        {"field": "type", "value": m.type},
        {"field": "unit", "value": m.unit},
        {"field": "direction", "value": f"{m.direction} is better"},
        {"field": "status", "value": m.status},
        {"field": "owner", "value": m.owner},
        {"field": "defined in", "value": where},
        {"field": "dimensions", "value": ", ".join(sorted(dimensions_of(catalog, m)))},
        {
            "field": "definition",
            "value": definition
            if fmt is Format.json
            else "; ".join(f"{k}: {v}" for k, v in definition.items()),
        },
    ]
    shown = ibis.to_sql(compile_metric(catalog, metric, ws.backend().table, grain=grain(period)))
    if fmt is Format.table:
        render(fields, ["field", "value"], fmt, title=m.name)
        if sql:
            typer.echo(str(shown))
        return
    if sql:
        fields.append({"field": "sql", "value": shown})
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
    catalog = workspace_catalog(ws)
    expr = compile_metric(
        catalog,
        metric,
        ws.backend().table,
        by=by or [],
        grain=grain(period),
        where=where or [],
        since=since,
        until=until,
    )
    rows: list[dict[str, Any]] = (expr.limit(limit) if limit else expr).to_pyarrow().to_pylist()
    log_usage(ws, "query", metric, by=by or [], grain=period, where=where or [], rows=len(rows))
    unit = catalog.metrics[metric].unit
    render(rows, list(expr.columns), fmt, title=f"{metric} ({unit}) per {period}")
