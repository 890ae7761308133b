"""The `productops` command line: thin commands over the workspace.

Command modules load lazily, so that `productops --help` and `--version` import no engine, Ibis or
models: the root `_Group` holds a stub for each command of `LAZY` (its name and the first sentence
of its help, enough to list it) and imports the module the first time the command is read, when it
runs or shows its own help. Top-level commands here import what they use inside their body.
"""

from __future__ import annotations

import importlib
import inspect
import sys
from collections.abc import Iterator, Mapping, MutableMapping
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from typer.core import TyperCommand, TyperGroup

from productops import __version__
from productops.commands.common import (
    FormatOption,
    Options,
    TeamOption,
    err,
    open_workspace,
    show_records,
)
from productops.config import EventFormat
from productops.errors import ProductOpsError, UsageError
from productops.render import Format, literal, render, render_sections

if TYPE_CHECKING:
    from productops.workspace import Workspace

__all__ = ["LAZY", "app"]

# name: ("module:attribute" in productops.commands, a Typer app or a command function;
#        the first sentence of its help, which tests/test_cli_lazy.py checks against the module)
LAZY: dict[str, tuple[str, str]] = {
    "report": (
        "report:report",
        "Write the scorecard report: report.html (self-contained), report.pdf and report.md.",
    ),
    "demo": (
        "demo:demo",
        "Build a realistic demo organisation in a fresh workspace and run every analysis on it.",
    ),
    "sync": (
        "connectors:sync",
        "Pull connected sources from their last cursor into the canonical tables.",
    ),
    "flow": (
        "flow:app",
        "Delivery flow: lead and cycle time, throughput, WIP, time in status, bottlenecks, "
        "dependencies, workflow conformance, time-to-market, forecasts.",
    ),
    "metrics": (
        "metrics:app",
        "The metric catalog: find, read and query governed metrics (docs/catalog.md).",
    ),
    "decision": (
        "decision:app",
        "The decision log: decisions, the evidence behind them frozen as seen, their outcomes.",
    ),
    "dora": (
        "dora:app",
        "DORA: deployment frequency, lead time for changes, change failure rate, recovery time.",
    ),
    "experiment": (
        "experiment:app",
        "Experiments: register, start, stop, decide, analyse, and plan their size.",
    ),
    "connect": (
        "connectors:connect_app",
        "Store a source's settings in productops.toml (secrets stay in environment variables "
        "or files outside the workspace).",
    ),
    "feedback": (
        "feedback:app",
        "Customer feedback: import it, find its themes, sentiment, trends, spikes and repeats, "
        "weigh demand by ARR, link it to the roadmap and publish insights.",
    ),
    "accounts": (
        "accounts:app",
        "Customer accounts (ARR, segment, plan, churn date) that feedback is matched to.",
    ),
    "survey": (
        "survey:app",
        "Surveys: team health checks, stakeholder and Product Ops support satisfaction, "
        "PM time, onboarding, self-assessment.",
    ),
    "activity": (
        "activity:app",
        "Activities: workshops, insight sessions, trainings, tools onboarded, retrospectives, "
        "process reviews and onboarding of new members.",
    ),
    "check": (
        "check:app",
        "Data quality: run the declared checks and reconciliations, see their history "
        "and the data incidents they opened (docs/data-quality.md).",
    ),
    "scorecard": (
        "scorecard:app",
        "The Product Ops scorecard: success criteria per team and period, with targets, "
        "trend, the organisation's rollup and maturity (docs/scorecard.md).",
    ),
    "nudge": (
        "nudge:app",
        "Nudges: suggestions triggered by a criterion's gap, offered only where a team is ready.",
    ),
    "initiative": (
        "initiative:app",
        "Improvement initiatives: empathize, define, ideate, prototype, test, implement.",
    ),
    "user": (
        "users:user_app",
        "Users of productops: add them, give them a role and teams, disable them.",
    ),
    "token": ("users:token_app", "API tokens for scripts: create (shown once), list, revoke."),
    "audit": (
        "audit:audit",
        "Show the audit trail: who wrote what and when, before and after (admins only).",
    ),
    "notify": (
        "notify:app",
        "Alerts and digests to Slack, e-mail and webhooks: the outbox, sending it, testing a "
        "channel, muting (docs/notify.md).",
    ),
    "serve": (
        "serve:serve",
        "Serve the workspace's JSON API under /api/v1 and run its schedule, until interrupted "
        "(docs/server.md).",
    ),
    "run-schedule": (
        "schedule:run_schedule",
        "Run the jobs due now, each once, then queue the alerts they show and send the "
        "outbox's due messages, and exit (for cron or a Kubernetes CronJob).",
    ),
    "schedule": (
        "schedule:app",
        "Scheduled jobs: what runs by itself and when, and the record of its runs "
        "(docs/schedule.md).",
    ),
    "backup": (
        "backup:backup",
        "Copy the workspace to DEST as of one moment, even while `productops serve` runs on it "
        "(docs/server.md).",
    ),
}


# Groups whose commands live in more than one module (command modules never import each other):
# each part as "module:attribute" (a Typer app or a command function) and the name it takes in the
# group (None: the app's commands join the group itself). They come before the group's own.
PARTS: dict[str, list[tuple[str, str | None]]] = {
    "feedback": [
        ("insights:app", None),
        ("tickets:ticket", "ticket"),
        ("themes:cluster", "cluster"),
        ("themes:app", "themes"),
    ],
}
_joined: set[str] = set()


def _command(target: str) -> Any:
    """The Typer app or command function `target` ("module:attribute") names in `commands`."""
    module, attribute = target.split(":")
    return getattr(importlib.import_module(f"productops.commands.{module}"), attribute)


def _join_parts(name: str, group: typer.Typer) -> None:
    """Join the `PARTS` of group `name` to its app, once."""
    if name in _joined:
        return
    _joined.add(name)
    commands = []
    for target, key in PARTS.get(name, []):
        part = _command(target)
        if key is None:
            commands += part.registered_commands
        elif isinstance(part, typer.Typer):
            group.add_typer(part, name=key)
        else:
            commands.append(typer.models.CommandInfo(name=key, callback=part))
    group.registered_commands[:0] = commands


class _Stub(TyperCommand):
    """Stands for a command of `LAZY` until it is read: its name and help, and how to load it."""

    def __init__(self, name: str, target: str, help_text: str, markup: Any) -> None:
        super().__init__(name, help=help_text, rich_markup_mode=markup)
        self.key = name
        self.target = target

    def load(self) -> Any:
        """The real command, built as `app.add_typer` or `app.command` would build it."""
        found = _command(self.target)
        holder = typer.Typer(rich_markup_mode=self.rich_markup_mode)
        if isinstance(found, typer.Typer):
            _join_parts(self.key, found)
            holder.add_typer(found, name=self.key)
        else:
            holder.command(self.key)(found)
        return _with_workspace(typer.main.get_group(holder).commands[self.key])


def _workspace_here(ctx: typer.Context, value: Path | None) -> None:
    if value is not None:
        ctx.find_root().obj.workspace = value


def _workspace_option() -> Any:
    """-w/--workspace for a subcommand: eager, so it is read before the options that look up a
    team or an id in the workspace."""
    holder = typer.Typer()

    @holder.command()
    def hold(
        workspace: Annotated[
            Path | None,
            typer.Option(
                "--workspace",
                "-w",
                is_eager=True,
                expose_value=False,
                callback=_workspace_here,
                help="Workspace folder (as before the command).",
            ),
        ] = None,
    ) -> None:
        """Holds the option."""

    return typer.main.get_command(holder).params[0]


def _with_workspace(command: Any) -> Any:
    """`command` and its subcommands that open a workspace, each also taking -w/--workspace."""
    for sub in getattr(command, "commands", {}).values():
        _with_workspace(sub)
    callback = command.callback
    takes_ctx = callback is not None and "ctx" in inspect.signature(callback).parameters
    if takes_ctx and not any("--workspace" in p.opts for p in command.params):
        command.params.append(_workspace_option())
    return command


class _Commands(MutableMapping[str, Any]):
    """The root's commands by name; reading a `_Stub` replaces it with the real command."""

    def __init__(self, commands: Mapping[str, Any]) -> None:
        self.held = dict(commands)

    def __getitem__(self, name: str) -> Any:
        command = self.held[name]
        if isinstance(command, _Stub):
            command = self.held[name] = command.load()
        return command

    def __setitem__(self, name: str, command: Any) -> None:
        self.held[name] = command

    def __delitem__(self, name: str) -> None:
        del self.held[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.held)

    def __len__(self) -> int:
        return len(self.held)


class _Group(TyperGroup):
    """The root command: loads `LAZY` commands when read, and shows a `ProductOpsError` as one line
    and exit code 1 (a traceback only with --debug)."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        for command in self.commands.values():
            _with_workspace(command)
        stubs = {n: _Stub(n, t, h, self.rich_markup_mode) for n, (t, h) in LAZY.items()}
        self.lazy = _Commands({**self.commands, **stubs})
        self.commands = self.lazy

    def list_commands(self, ctx: Any) -> list[str]:
        """The names in the order help shows them, importing nothing."""
        return list(self.commands)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        """List the commands as Typer does, stubs from their own help (importing nothing)."""
        shown = [(name, c) for name, c in self.lazy.held.items() if not c.hidden]
        limit = formatter.width - 6 - max(len(name) for name, _ in shown)
        with formatter.section("Commands"):
            formatter.write_dl([(name, c.get_short_help_str(limit)) for name, c in shown])

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except Exception as exc:
            error = exc if isinstance(exc, ProductOpsError) else _store_error(exc)
            if error is None or (ctx.obj is not None and ctx.obj.debug):
                raise
            err.print(f"[red]error:[/red] {escape(str(error))}", highlight=False, soft_wrap=True)
            raise typer.Exit(1) from exc
        finally:
            # The workspace the command line opened (`open_workspace`), also when a command
            # failed before closing it: a store left open would hold its file in this process.
            opened = getattr(ctx.obj, "opened", None)
            if opened is not None:
                opened.close()


def _store_error(exc: Exception) -> ProductOpsError | None:
    """A DuckDB error about the store itself (damaged, locked, read-only) as a user's error."""
    duckdb = sys.modules.get("duckdb")
    if duckdb is None or not isinstance(exc, duckdb.Error):
        return None
    from productops.engine import store_error

    return store_error(exc)


app = typer.Typer(
    cls=_Group,
    help="productops: evidence for product decisions from the data your organisation already has.",
    no_args_is_help=True,
    add_completion=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"productops {__version__}")
        raise typer.Exit()


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
    from productops.workspace import Workspace

    ws = Workspace.init(directory)
    ws.close()
    err.print(literal(f"Created a workspace in {directory.resolve()} (settings: productops.toml)"))


@app.command()
def status(ctx: typer.Context, fmt: FormatOption = Format.table) -> None:
    """Show what the workspace holds: rows per table, imports per source, quarantined rows."""
    from productops.services.rows import columns
    from productops.services.workspace_status import ImportHistory, TableCount, workspace_status

    ws = open_workspace(ctx, read_only=True)
    try:
        found = workspace_status(ws)
    finally:
        ws.close()
    sections = {
        "tables": ([asdict(r) for r in found.tables], columns(TableCount)),
        "imports": ([asdict(r) for r in found.imports], columns(ImportHistory)),
    }
    render_sections(sections, fmt)


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
    events: Annotated[
        EventFormat | None,
        typer.Option(
            "--events",
            help="Read FILE as product events exported by segment, posthog or amplitude "
            "(TABLE is event; docs/import.md).",
        ),
    ] = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Import a CSV, JSON Lines or Parquet file into a canonical table (bad rows are quarantined)."""
    from productops.config import CONFIG_FILE, ImportMapping
    from productops.errors import ConfigError
    from productops.ingest import import_file

    ws = open_workspace(ctx)
    try:
        configured = ws.config.imports.get(table_name, ImportMapping())
        extra = dict(_pair(m) for m in column or [])
        _check_formats(ws, timestamp_format or [], "--timestamp-format", UsageError)
        _check_formats(
            ws,
            configured.timestamp_formats,
            f"{ws.root / CONFIG_FILE}: imports.{table_name}.timestamp_formats",
            ConfigError,
        )
        mapping = configured.model_copy(
            update={
                "columns": {**configured.columns, **extra},
                "timestamp_formats": [*(timestamp_format or []), *configured.timestamp_formats],
            }
        )
        with err.status(literal(f"Importing {file} into {table_name}")):
            counts = import_file(ws.store, table_name, file, mapping, source, events)
    finally:
        ws.close()
    render([vars(counts)], ["table", "landed", "updated", "unchanged", "quarantined"], fmt)
    if counts.ignored_columns:
        err.print(
            literal(f"Ignored columns (no canonical column): {', '.join(counts.ignored_columns)}")
        )
    if counts.quarantined:
        err.print(
            f"{counts.quarantined} rows quarantined: `productops quarantine --table {table_name}`"
        )
    if counts.quarantined == counts.read:
        err.print(f"[red]error:[/red] no valid row in {escape(str(file))}", highlight=False)
        raise typer.Exit(1)


def _check_formats(
    ws: Workspace, formats: list[str], where: str, error: type[ProductOpsError]
) -> None:
    """Refuse a timestamp format DuckDB cannot use, before importing anything."""
    for fmt in formats:
        if problem := ws.store.strptime_problem(fmt):
            raise error(
                f"{where} {fmt!r}: {problem}; use DuckDB's strptime specifiers, e.g. "
                "'%d/%m/%Y %H:%M' (https://duckdb.org/docs/sql/functions/dateformat)"
            )


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
    limit: Annotated[int, typer.Option(min=1, help="Show at most this many rows.")] = 50,
    fmt: FormatOption = Format.table,
) -> None:
    """List quarantined rows with file, line and reason."""
    from productops.services.workspace_status import QuarantinedRow, quarantine

    ws = open_workspace(ctx, read_only=True)
    try:
        found = quarantine(ws, table_name, limit)
    finally:
        ws.close()
    show_records(found, QuarantinedRow, fmt, "quarantine")


@app.command()
def people(ctx: typer.Context, team: TeamOption = None, fmt: FormatOption = Format.table) -> None:
    """List people: id, team, role and when they joined (no names or e-mail addresses)."""
    from productops.services.teams import Person, list_people

    show_records(list_people(open_workspace(ctx), team), Person, fmt, "people")


@app.command()
def schema(
    table_name: Annotated[
        str | None, typer.Argument(metavar="[TABLE]", help="Show this table's columns.")
    ] = None,
    fmt: FormatOption = Format.table,
) -> None:
    """List the canonical tables, or the columns of one."""
    from productops.services.workspace_status import (
        CanonicalColumn,
        CanonicalTable,
        canonical_tables,
        table_columns,
    )

    if table_name is None:
        show_records(canonical_tables(), CanonicalTable, fmt, "canonical tables")
        return
    doc, found = table_columns(table_name)
    show_records(found, CanonicalColumn, fmt, f"{table_name}: {doc}")
