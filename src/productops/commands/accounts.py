"""`productops accounts import FILE`: customer accounts with ARR, segment, plan and churn date."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from productops.commands.common import FormatOption, KeepOption, err, open_workspace, show_import
from productops.connectors import ACCOUNT_FILES
from productops.connectors.feedback_files import ACCOUNT_FORMATS
from productops.errors import UsageError
from productops.render import Format, literal
from productops.sync import import_rows

__all__ = ["app"]

app = typer.Typer(
    help="Customer accounts (ARR, segment, plan, churn date) that feedback is matched to.",
    no_args_is_help=True,
)


@app.command("import")
def import_accounts(
    ctx: typer.Context,
    file: Annotated[
        Path,
        typer.Argument(
            help="A CSV of accounts, or a CRM export (CSV, JSON Lines or Parquet, gzipped or not)."
        ),
    ],
    export: Annotated[
        str | None,
        typer.Option(
            "--export",
            help="Which export the file is: csv (canonical columns), hubspot or salesforce "
            "(default: told by its columns).",
        ),
    ] = None,
    keep: KeepOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Import accounts from a CSV, a HubSpot companies export or a Salesforce accounts export."""
    if export is not None and export not in ACCOUNT_FORMATS:
        raise UsageError(f"--export {export!r}: use one of {', '.join(ACCOUNT_FORMATS)}")
    ws = open_workspace(ctx)
    try:
        settings = ACCOUNT_FORMATS[export] if export else None
        with err.status(literal(f"Importing accounts from {file}")):
            mapping = ws.config.imports.get("account")
            report = import_rows(
                ws.store, ws.root, ACCOUNT_FILES, settings, file, mapping, keep=keep or ()
            )
        show_import(report, fmt, "account", file)
    finally:
        ws.close()
