"""`productops report`: the scorecard as an HTML page, a PDF and a Markdown digest."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from productops.commands.common import GrainOption, err, grain, open_workspace
from productops.errors import UsageError
from productops.reports import formats
from productops.services import Actor

__all__ = ["report"]


def report(
    ctx: typer.Context,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Folder for the reports (default: WORKSPACE/reports)."),
    ] = None,
    by: GrainOption = "quarter",
    periods: Annotated[
        int, typer.Option(min=1, help="Show the last N periods that have scorecard snapshots.")
    ] = 8,
    fmt: Annotated[
        str,
        typer.Option(
            "--format", "-f", help="Comma-separated outputs: html, pdf, md (default: all three)."
        ),
    ] = "html,pdf,md",
) -> None:
    """Write the scorecard report: report.html (self-contained), report.pdf and report.md.

    Shows the scorecard as kept by `productops scorecard`; computes it first if none is kept.
    """
    chosen, g = formats(fmt), grain(by)
    ws = open_workspace(ctx)
    folder = out if out is not None else ws.root / "reports"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # a file of that name, a file on the way, no permission
        why = "it is a file" if folder.is_file() else exc.strerror
        raise UsageError(
            f"--out {folder}: cannot hold the reports ({why}); give a folder, new or existing"
        ) from None
    from productops.services.reports import write_report  # pandas: not for --help

    with err.status("Writing the reports"):
        written = write_report(ws, Actor.cli(), folder, chosen, g, periods, datetime.now(UTC))
    for note in written.notes:
        err.print(note)
    for path in written.files:
        typer.echo(str(path))
