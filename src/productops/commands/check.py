"""`productops check ...`: data-quality checks and reconciliations (docs/data-quality.md)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated

import typer

from productops.commands.common import (
    AsOfOption,
    FormatOption,
    as_of,
    known,
    open_workspace,
    show_records,
)
from productops.errors import UsageError
from productops.render import Format, render, render_sections
from productops.services import Actor, checks

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
        runs = checks.run_checks(ws, Actor.cli(), as_of(when), run_at, only or [])
    finally:
        ws.close()
    rows = [asdict(r) for r in runs]
    render(rows, COLUMNS, fmt, title=f"data checks at {run_at:%Y-%m-%d %H:%M} UTC")
    if any(r.status == "error" for r in runs):
        raise typer.Exit(1)


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
    found = checks.check_results(open_workspace(ctx), check_id, limit)
    show_records(found, checks.CheckResult, fmt, f"results of {check_id or 'every check'}")


@app.command()
def show(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The check's id.", callback=known("check"))],
    fmt: FormatOption = Format.table,
) -> None:
    """A check's latest result and the keys that differ (reconciliations: with both values)."""
    found = checks.show_check(open_workspace(ctx), name)
    columns = list(dict.fromkeys(c for row in found.keys for c in row)) or ["key"]
    render_sections(
        {
            name: (
                [asdict(found.check)],
                ["run_at", "kind", "target", "status", "observed", "summary"],
            ),
            "keys that differ": (found.keys, columns),
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
    found = checks.incidents(open_workspace(ctx), status)
    show_records(found, checks.Incident, fmt, "data incidents")
