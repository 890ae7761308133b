"""`productops check ...`: data-quality checks and reconciliations (docs/data-quality.md)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from productops.commands.common import AsOfOption, FormatOption, as_of, known, open_workspace
from productops.errors import UsageError
from productops.pillars.data.checks_run import Outcome, run_check
from productops.pillars.data.quality import Check, load_checks
from productops.pillars.data.reconcile import reconcile
from productops.registry.checks import check_history, last_details, list_incidents, record_run
from productops.render import Format, render, render_sections
from productops.services.catalog import workspace_catalog
from productops.workspace import Workspace

__all__ = ["app"]

app = typer.Typer(
    help="Data quality: run the declared checks and reconciliations, see their history "
    "and the data incidents they opened (docs/data-quality.md)."
)
COLUMNS = ["id", "kind", "target", "status", "observed", "summary", "incident"]


@app.callback(invoke_without_command=True)
def check(
    ctx: typer.Context,
    only: Annotated[
        list[str] | None,
        typer.Option("--only", help="Run only this check (repeatable).", callback=known("check")),
    ] = None,
    when: AsOfOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Run every check and reconciliation, store the results, open or resolve incidents.

    Exits 1 when a check of severity `error` fails.
    """
    if ctx.invoked_subcommand is not None:
        return
    ws = open_workspace(ctx)
    run_at = datetime.now(UTC)  # to the microsecond: two runs never share a result's key
    try:
        rows = run_checks(ws, as_of(when), run_at, only or [])
    finally:
        ws.close()
    render(rows, COLUMNS, fmt, title=f"data checks at {run_at:%Y-%m-%d %H:%M} UTC")
    if any(r["status"] == "error" for r in rows):
        raise typer.Exit(1)


def run_checks(
    ws: Workspace, measured_at: datetime, run_at: datetime, only: list[str] | None = None
) -> list[dict[str, Any]]:
    """Run the declared checks and reconciliations (all, or `only` these ids) on the data as of
    `measured_at`, store each result stamped `run_at`, open or resolve incidents; one row each."""
    catalog = workspace_catalog(ws)
    declared = load_checks([ws.root / "checks"], catalog=catalog)
    items = declared.all()
    unknown = sorted(set(only or []) - {i.id for i in items})
    if unknown:
        known = ", ".join(sorted(i.id for i in items)) or "none"
        raise UsageError(f"--only {', '.join(unknown)}: no such check; declared: {known}")
    table = ws.backend().table
    rows: list[dict[str, Any]] = []
    for item in items:
        if only and item.id not in only:
            continue
        outcome: Outcome
        if isinstance(item, Check):
            previous = last_details(ws.store, item.id)
            outcome = run_check(item, table, measured_at, catalog=catalog, previous=previous)
        else:
            outcome = reconcile(item, table, catalog)
        rows.append(
            {
                "id": item.id,
                "kind": item.kind,
                "target": item.target,
                "status": outcome.status,
                "observed": outcome.observed,
                "summary": outcome.summary,
                "incident": record_run(ws.store, item, outcome, run_at),
                "failing_keys": outcome.details.get("failing_keys", []),
            }
        )
    return rows


@app.command()
def history(
    ctx: typer.Context,
    check_id: Annotated[
        str | None, typer.Argument(help="Only this check's results.", callback=known("check"))
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help="Show at most this many results.")] = 50,
    fmt: FormatOption = Format.table,
) -> None:
    """Stored results of the checks, newest first."""
    ws = open_workspace(ctx)
    rows = check_history(ws.store, check_id, limit)
    columns = ["run_at", "id", "kind", "target", "status", "observed", "summary"]
    render(rows, columns, fmt, title=f"results of {check_id or 'every check'}")


@app.command()
def show(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The check's id.", callback=known("check"))],
    fmt: FormatOption = Format.table,
) -> None:
    """A check's latest result and the keys that differ (reconciliations: with both values)."""
    ws = open_workspace(ctx)
    latest = check_history(ws.store, name, 1)
    details = last_details(ws.store, name)
    if not latest or details is None:
        raise UsageError(f"check {name!r} has not run yet; run `productops check --only {name}`")
    keys = details.get("key_sample") or [{"key": k} for k in details.get("failing_keys", [])]
    columns = list(dict.fromkeys(c for row in keys for c in row)) or ["key"]
    render_sections(
        {
            name: (latest, ["run_at", "kind", "target", "status", "observed", "summary"]),
            "keys that differ": (keys, columns),
        },
        fmt,
    )


@app.command()
def incidents(
    ctx: typer.Context,
    status: Annotated[
        str | None, typer.Option(help="Only `open` or only `resolved` incidents.")
    ] = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Data incidents opened by failing checks: open ones first."""
    if status not in (None, "open", "resolved"):
        raise UsageError(f"--status {status!r}: use open or resolved")
    rows = list_incidents(open_workspace(ctx).store, status)
    columns = ["id", "check_id", "target", "status", "opened_at", "resolved_at", "summary"]
    render(rows, columns, fmt, title="data incidents")
