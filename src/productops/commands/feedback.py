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

from productops.commands.common import FormatOption, KeepOption, err, open_workspace, show_import
from productops.connectors import FEEDBACK_FILES
from productops.connectors.feedback_files import FEEDBACK_KINDS
from productops.errors import UsageError
from productops.render import Format, literal
from productops.sync import import_rows

__all__ = ["app"]

app = typer.Typer(
    help="Customer feedback: import it, find its themes, sentiment, trends, spikes and repeats, "
    "weigh demand by ARR, link it to the roadmap and publish insights.",
    no_args_is_help=True,
)


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
