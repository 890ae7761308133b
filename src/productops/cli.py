"""The `productops` command line: thin commands over the workspace."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from typer.core import TyperGroup

from productops import __version__
from productops.commands import accounts as accounts_commands
from productops.commands import activity as activity_commands
from productops.commands import check as check_commands
from productops.commands import connectors, demo, dora, experiment, flow
from productops.commands import decision as decision_commands
from productops.commands import feedback as feedback_commands
from productops.commands import initiative as initiative_commands
from productops.commands import metrics as metrics_commands
from productops.commands import nudge as nudge_commands
from productops.commands import report as report_commands
from productops.commands import scorecard as scorecard_commands
from productops.commands import survey as survey_commands
from productops.commands.common import FormatOption, Options, err, open_workspace
from productops.config import ImportMapping
from productops.errors import ProductOpsError, UsageError
from productops.ingest import import_file
from productops.render import Format, render, render_sections
from productops.schema import TABLES, table
from productops.status import import_history, quarantined_rows, table_counts
from productops.workspace import Workspace

__all__ = ["app"]


class _Group(TyperGroup):
    """Shows a `ProductOpsError` as one line and exit code 1 (a traceback only with --debug)."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except ProductOpsError as exc:
            if ctx.obj is not None and ctx.obj.debug:
                raise
            err.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False, soft_wrap=True)
            raise typer.Exit(1) from exc


app = typer.Typer(
    cls=_Group,
    help="productops: evidence for product decisions from the data your organisation already has.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"productops {__version__}")
        raise typer.Exit()


app.add_typer(flow.app, name="flow")
app.add_typer(metrics_commands.app, name="metrics")
app.add_typer(decision_commands.app, name="decision")
app.add_typer(dora.app, name="dora")
app.add_typer(experiment.app, name="experiment")
app.add_typer(connectors.connect_app, name="connect")
app.add_typer(feedback_commands.app, name="feedback")
app.add_typer(accounts_commands.app, name="accounts")
app.add_typer(survey_commands.app, name="survey")
app.add_typer(activity_commands.app, name="activity")
app.add_typer(check_commands.app, name="check")
app.add_typer(scorecard_commands.app, name="scorecard")
app.add_typer(nudge_commands.app, name="nudge")
app.add_typer(initiative_commands.app, name="initiative")


@app.callback()
def _main(
    ctx: typer.Context,
    workspace: Annotated[
        Path | None,
        typer.Option(
            "--workspace",
            "-w",
            help="Workspace folder (default: this folder or the nearest above).",
            envvar="PRODUCTOPS_WORKSPACE",
        ),
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks of errors.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    ctx.obj = Options(workspace, debug)


@app.command()
def init(
    directory: Annotated[Path, typer.Argument(help="Folder for the new workspace.")] = Path("."),
) -> None:
    """Create a workspace: productops.toml and the embedded DuckDB store."""
    ws = Workspace.init(directory)
    ws.close()
    err.print(f"Created a workspace in {directory.resolve()} (settings: productops.toml)")


@app.command()
def status(ctx: typer.Context, fmt: FormatOption = Format.table) -> None:
    """Show what the workspace holds: rows per table, imports per source, quarantined rows."""
    ws = open_workspace(ctx)
    render_sections(
        {
            "tables": (
                table_counts(ws.store),
                ["table", "area", "rows", "quarantined", "last_import"],
            ),
            "imports": (
                import_history(ws.store),
                ["source", "table", "runs", "last_import", "landed", "updated", "quarantined"],
            ),
        },
        fmt,
    )


@app.command("import")
def import_(
    ctx: typer.Context,
    table_name: Annotated[
        str, typer.Argument(metavar="TABLE", help="Canonical table (see `productops schema`).")
    ],
    file: Annotated[Path, typer.Argument(help="A .csv, .jsonl or .parquet file.")],
    source: Annotated[
        str | None, typer.Option(help="Source that qualifies keys, e.g. jira (default: file).")
    ] = None,
    column: Annotated[
        list[str] | None,
        typer.Option(
            "--map",
            "-m",
            help="CANONICAL=FILE_COLUMN, repeatable; adds to [imports.TABLE].columns.",
        ),
    ] = None,
    timestamp_format: Annotated[
        list[str] | None, typer.Option(help="Extra strptime format for timestamps, repeatable.")
    ] = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Import a CSV, JSON Lines or Parquet file into a canonical table (bad rows are quarantined)."""
    ws = open_workspace(ctx)
    configured = ws.config.imports.get(table_name, ImportMapping())
    extra = dict(_pair(m) for m in column or [])
    mapping = ImportMapping(
        source=configured.source,
        columns={**configured.columns, **extra},
        timestamp_formats=[*(timestamp_format or []), *configured.timestamp_formats],
    )
    with err.status(f"Importing {file} into {table_name}"):
        counts = import_file(ws.store, table_name, file, mapping, source)
    render([vars(counts)], ["table", "landed", "updated", "unchanged", "quarantined"], fmt)
    if counts.ignored_columns:
        err.print(f"Ignored columns (no canonical column): {', '.join(counts.ignored_columns)}")
    if counts.quarantined:
        err.print(
            f"{counts.quarantined} rows quarantined: `productops quarantine --table {table_name}`"
        )
    if counts.quarantined == counts.read:
        err.print(f"[red]error:[/red] no valid row in {file}", highlight=False)
        raise typer.Exit(1)


def _pair(text: str) -> tuple[str, str]:
    canonical, sep, source = text.partition("=")
    if not sep or not canonical or not source:
        raise UsageError(f"--map {text!r}: expected CANONICAL=FILE_COLUMN, e.g. id='Issue key'")
    return canonical.strip(), source.strip()


@app.command()
def quarantine(
    ctx: typer.Context,
    table_name: Annotated[
        str | None, typer.Option("--table", help="Only rows meant for this table.")
    ] = None,
    limit: Annotated[int, typer.Option(help="Show at most this many rows.")] = 50,
    fmt: FormatOption = Format.table,
) -> None:
    """List quarantined rows with file, line and reason."""
    ws = open_workspace(ctx)
    rows = quarantined_rows(ws.store, table_name, limit)
    render(rows, ["table_name", "file", "line", "reason", "record"], fmt, title="quarantine")


@app.command()
def schema(
    table_name: Annotated[
        str | None, typer.Argument(metavar="[TABLE]", help="Show this table's columns.")
    ] = None,
    fmt: FormatOption = Format.table,
) -> None:
    """List the canonical tables, or the columns of one."""
    rows: list[dict[str, Any]]
    if table_name is None:
        rows = [
            {"table": t.name, "area": t.area, "key": ", ".join(t.key), "description": t.doc}
            for t in TABLES.values()
        ]
        render(rows, ["table", "area", "key", "description"], fmt, title="canonical tables")
        return
    t = table(table_name)
    rows = [
        {
            "column": c.name,
            "type": c.type,
            "key": c.name in t.key,
            "required": c.required,
            "accepted": ", ".join(c.choices),
            "refers_to": c.ref,
            "description": c.doc,
        }
        for c in t.columns
    ]
    render(
        rows,
        ["column", "type", "key", "required", "accepted", "refers_to", "description"],
        fmt,
        title=f"{t.name}: {t.doc}",
    )


# Registered last so that help lists them after the commands above.
app.command()(report_commands.report)
app.command()(demo.demo)
app.command()(connectors.sync)
