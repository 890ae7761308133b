"""`productops feedback ...`: customer feedback (docs/feedback.md, docs/customer-insights.md).

`import KIND FILE` lands a feedback file (app-store reviews, NPS and CSAT
verbatims, sales notes, a generic feedback CSV) through the same path as the
Zendesk and Intercom syncs: rows raw first, then redacted, hashed,
language-tagged and matched to accounts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from productops.commands import insights, themes
from productops.commands.common import FormatOption, err, open_workspace
from productops.connectors import FEEDBACK_FILES
from productops.connectors.feedback_files import FEEDBACK_KINDS
from productops.errors import ImportFileError, UsageError
from productops.render import Format, literal, render
from productops.sync import SyncReport, import_rows

__all__ = ["KeepOption", "app", "show_import"]

app = typer.Typer(
    help="Customer feedback: import it, find its themes, sentiment, trends, spikes and repeats, "
    "weigh demand by ARR, link it to the roadmap and publish insights.",
    no_args_is_help=True,
)
# The analysis commands live in their own modules; `feedback` is their one group.
app.registered_commands += insights.app.registered_commands
app.add_typer(themes.app, name="themes")
app.command("cluster")(themes.cluster)


KeepOption = Annotated[
    list[str] | None,
    typer.Option(
        "--keep-column",
        help="Also keep this column of the file in raw_record (scrubbed like the rest); "
        "repeatable. Columns productops does not map are otherwise dropped before they land.",
    ),
]


def show_import(report: SyncReport, fmt: Format, what: str, file: Path) -> None:
    """Print what an import of `file` landed and quarantined, with its notes.

    Raises `ImportFileError` (exit code 1) when no row of the file could be imported.
    """
    for note in report.notes:
        err.print(f"{report.source}: {note}", markup=False, highlight=False, soft_wrap=True)
    rows = report.rows()
    render(
        rows, ["source", "table", "landed", "updated", "unchanged", "quarantined"], fmt, title=what
    )
    hints = ", ".join(
        f"`productops quarantine --table {row['table']}`" for row in rows if row["quarantined"]
    )
    if not any(
        row["landed"] + row["updated"] + row["unchanged"]
        for row in rows
        if row["table"] != "raw_record"
    ):
        why = f"; see why with {hints}" if hints else ""
        raise ImportFileError(f"{file}: no row could be imported as {what}{why}")
    if hints:
        err.print(f"quarantined rows and why: {hints}", markup=False, highlight=False)


@app.command("import")
def import_feedback(
    ctx: typer.Context,
    kind: Annotated[
        str,
        typer.Argument(metavar="KIND", help=f"What the file holds: {', '.join(FEEDBACK_KINDS)}."),
    ],
    file: Annotated[
        Path,
        typer.Argument(
            help="The exported file: CSV (UTF-8 or UTF-16), JSON Lines or Parquet, gzipped or not."
        ),
    ],
    keep: KeepOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Import a feedback file: app_store, google_play, nps, csat, sales_notes or generic."""
    if kind not in FEEDBACK_KINDS:
        raise UsageError(f"feedback kind {kind!r}: use one of {', '.join(FEEDBACK_KINDS)}")
    ws = open_workspace(ctx)
    try:
        with err.status(literal(f"Importing {kind} feedback from {file}")):
            report = import_rows(
                ws.store,
                ws.root,
                FEEDBACK_FILES[kind],
                FEEDBACK_KINDS[kind],
                file,
                ws.config.imports.get("feedback"),
                keep=keep or (),
            )
        show_import(report, fmt, "feedback", file)
    finally:
        ws.close()
