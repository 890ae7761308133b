"""What every command shares: the global options, the --format option, the error console, and
`resolve`: the one way a team, criterion, metric, check or record id given to a command is checked
(unknown: an error naming the nearest; a unique start of an id is enough)."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from productops.errors import ImportFileError, ProductOpsError, UsageError
from productops.render import Format, render

# Imported where used, so that `--help` imports no engine, Ibis or models (see cli.py).
if TYPE_CHECKING:
    from productops.durations import Grain
    from productops.pillars.customer.embeddings import Embedder
    from productops.services.periods import Periods
    from productops.sync import SyncReport
    from productops.workspace import Workspace

__all__ = [
    "AsOfOption",
    "ByOption",
    "FormatOption",
    "GrainOption",
    "KeepOption",
    "Options",
    "PeriodOption",
    "ScorecardAsOfOption",
    "SinceOption",
    "TeamOption",
    "UntilOption",
    "WhereOption",
    "as_of",
    "err",
    "grain",
    "known",
    "log_usage",
    "moment",
    "open_workspace",
    "periods",
    "resolve",
    "resolve_periods",
    "show_import",
    "show_records",
    "when",
]

err = Console(stderr=True)

# Where each kind of record `resolve` knows lives: table, the prefix of its ids after `source:`,
# and the command that lists them.
RECORDS = {
    "decision": ("decision", "decision", "productops decision list"),
    "nudge": ("nudge", "nudge", "productops nudge list"),
    "initiative": ("initiative", "initiative", "productops initiative list"),
    "experiment": ("experiment", "exp", "productops experiment list"),
    "survey": ("survey", "survey", "productops survey list"),
    "theme": ("theme", "theme", "productops feedback themes list"),
}
DATE_FORMS = (
    "a date (2025-03-01), a time (2025-03-01T09:30), a month (2025-03), "
    "a quarter (2025-Q1) or a year (2025)"
)


def resolve(ws: Workspace, kind: str, given: str, *also: str) -> str:
    """The id of `kind` (team, criterion, metric, check or a kind of `RECORDS`) that `given`
    names, or `given` if it is one of `also`; unknown or ambiguous: a `UsageError`."""
    from productops.registry.lookup import pick

    if given in also:
        return given
    if kind in RECORDS:
        from productops.registry.rows import resolve as record

        table, prefix, listing = RECORDS[kind]
        return record(ws.store, table, prefix, given, kind, listing)
    return pick(kind, given, [*_known_ids(ws, kind), *also], listing=_LISTINGS.get(kind, ""))


_LISTINGS = {
    "criterion": "productops scorecard criteria",
    "metric": "productops metrics list",
}


def _known_ids(ws: Workspace, kind: str) -> list[str]:
    if kind == "team":
        return [r[0] for r in ws.store.sql("SELECT id FROM team")]
    if kind == "criterion":
        from productops.ops.scorecard import criteria_in_use

        return [c.id for c in criteria_in_use(custom=ws.config.scorecard.custom)]
    if kind == "metric":
        from productops.services.catalog import workspace_catalog

        return list(workspace_catalog(ws).metrics)
    if kind == "check":
        from productops.services.checks import check_ids

        return check_ids(ws)
    raise ValueError(f"resolve: no kind {kind!r}")


def known(kind: str, *also: str) -> Callable[[typer.Context, Any], Any]:
    """An option's or argument's callback that replaces its value(s) by `resolve`'s id."""

    def check(ctx: typer.Context, value: Any) -> Any:
        if value is None or ctx.resilient_parsing:
            return value
        ws = open_workspace(ctx)
        if isinstance(value, list | tuple):
            return [resolve(ws, kind, v, *also) for v in value]
        return resolve(ws, kind, value, *also)

    return check


def parse_when(option: str, edge: str = "moment") -> Callable[[str], datetime]:
    """A date option's parser (`when`). Its error is a plain `ProductOpsError`, not a ValueError,
    which Typer would turn into a usage message: the CLI shows it in one line."""

    def parse(text: str) -> datetime:
        try:
            return when(text, option, edge)
        except UsageError as exc:
            raise ProductOpsError(str(exc)) from None

    return parse


def when(text: str, option: str, edge: str = "moment") -> datetime:
    """The time `text` names in UTC: a date or time as given (naive is UTC), or for a month
    (2025-03), quarter (2025-Q1) or year (2025) its first moment, or with `edge="end"` the first
    moment after it; `edge="moment"` takes a date or time only."""
    found = re.fullmatch(r"(\d{4})(?:-(\d{1,2})|-?[Qq]([1-4]))?", text.strip())
    if found and edge != "moment":
        year, month, quarter = int(found[1]), found[2], found[3]
        first, months = (
            (int(month), 1) if month else (int(quarter) * 3 - 2, 3) if quarter else (1, 12)
        )
        if not 1 <= first <= 12:
            raise UsageError(f"{option} {text!r}: no month {first}; expected {DATE_FORMS}")
        if edge == "end":
            year, first = year + (first + months - 1) // 12, (first + months - 1) % 12 + 1
        return datetime(year, first, 1, tzinfo=UTC)
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        forms = (
            DATE_FORMS if edge != "moment" else "a date (2025-03-01) or a time (2025-03-01T09:30)"
        )
        raise UsageError(f"{option} {text!r}: expected {forms}") from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


FormatOption = Annotated[
    Format, typer.Option("--format", "-f", help="Output as a table, JSON or CSV.")
]
TeamOption = Annotated[
    str | None, typer.Option("--team", "-t", help="Only this team.", callback=known("team"))
]
SinceOption = Annotated[
    datetime | None,
    typer.Option(
        parser=parse_when("--since", "start"),
        metavar="WHEN",
        help="Only periods starting on or after this date, or the start of this month "
        "(2025-03), quarter (2025-Q1) or year (UTC).",
    ),
]
UntilOption = Annotated[
    datetime | None,
    typer.Option(
        parser=parse_when("--until", "end"),
        metavar="WHEN",
        help="Only periods starting before this date, or the end of this month (2025-03), "
        "quarter (2025-Q1) or year (UTC).",
    ),
]
AsOfOption = Annotated[
    datetime | None,
    typer.Option(
        "--as-of",
        parser=parse_when("--as-of"),
        metavar="WHEN",
        help="Measure open items and ages as of this time (default: now, UTC).",
    ),
]
GrainOption = Annotated[
    str, typer.Option("--grain", "-g", help="Period: day, week, month or quarter.")
]
PeriodOption = Annotated[
    str | None,
    typer.Option(
        "--period",
        "-p",
        help="The (last) period: a date in it, YYYY-MM, YYYY-Qn or YYYY; default the latest "
        "complete one.",
    ),
]
ScorecardAsOfOption = Annotated[
    str | None, typer.Option("--as-of", help="Compute as of this time (ISO 8601; default now).")
]
KeepOption = Annotated[
    list[str] | None,
    typer.Option(
        "--keep-column",
        help="Also keep this column of the file in raw_record (scrubbed like the rest); "
        "repeatable. Columns productops does not map are otherwise dropped before they land.",
    ),
]


FallbackOption = Annotated[
    bool,
    typer.Option(
        "--fallback", help="Use the model-free embedder (hashed n-grams) instead of MiniLM."
    ),
]
ByOption = Annotated[
    list[str] | None, typer.Option("--by", "-b", help="Group by this dimension (repeatable).")
]
WhereOption = Annotated[
    list[str] | None,
    typer.Option(
        "--where",
        help="Filter, e.g. 'segment in (smb, enterprise)' or 'plan != free' (repeatable).",
    ),
]


@dataclass
class Options:
    """The global options, kept on the Typer context."""

    workspace: Path | None
    debug: bool
    opened: Workspace | None = None


def open_workspace(ctx: typer.Context, read_only: bool = False) -> Workspace:
    """The workspace named by --workspace, else the one at or above the current folder.

    `read_only` for a command that only reads; a store this process may not write opens
    read-only anyway, with a note.
    """
    from productops.workspace import Workspace

    options: Options = ctx.find_root().obj
    if options.opened is None:
        found = options.workspace
        if found is not None:
            ws = Workspace.open(found, read_only=read_only)
        else:
            ws = Workspace.find(read_only=read_only)
        if ws.store.unwritable and not read_only:
            err.print(
                f"note: {ws.store.unwritable}: the store is open read-only, commands that write fail",
                soft_wrap=True,
            )
        options.opened = ws
    return options.opened


def current_user(ws: Workspace) -> str | None:
    """The person using productops: PRODUCTOPS_USER, else `[workspace] user`, else nobody."""
    return os.environ.get("PRODUCTOPS_USER") or ws.config.workspace.user


def pick_embedder(ws: Workspace | None, fallback: bool, model: Path | None = None) -> Embedder:
    """The embedder a --fallback flag picks: the model-free one, else `model`, else the
    workspace's `[themes] model`, else MiniLM (if installed)."""
    from productops.services.themes import pick_embedder as pick

    if fallback and model is not None:
        raise UsageError("give --fallback or --model, not both")
    return pick(ws, fallback, model)


def log_usage(
    ws: Workspace, kind: str, target: str | None, team_id: str | None = None, **properties: Any
) -> None:
    """Log a use of productops for the workspace's user (`current_user`); not on a read-only store."""
    from productops.registry.usage import record_usage

    if ws.store.read_only:
        return

    record_usage(
        ws.store, kind, target, person_id=current_user(ws), at=datetime.now(UTC), team_id=team_id,
        properties=properties or None,
    )  # fmt: skip


def grain(text: str) -> Grain:
    """Check a --grain value."""
    from productops.durations import GRAINS

    for known in GRAINS:
        if text == known:
            return known
    raise UsageError(f"--grain {text!r}: use {', '.join(GRAINS)}")


def periods(
    period: str, team: str | None, since: datetime | None, until: datetime | None
) -> Periods:
    """The `Periods` a command's --grain (checked), --team, --since and --until ask for."""
    from productops.services.periods import Periods

    return Periods(grain(period), team, since, until)


def moment(text: str | None, option: str = "--at") -> datetime:
    """An ISO 8601 option value in UTC (naive is UTC), or now to the second."""
    if text is None:
        return datetime.now(UTC).replace(microsecond=0)
    return when(text, option)


def resolve_periods(text: str | None, g: Grain, count: int, as_of: datetime) -> list[datetime]:
    """The `count` periods ending with the one a --period `text` names (default: the latest
    complete one as of `as_of`)."""
    from productops.ops.scorecard import latest_complete, periods_ending

    if text is None:
        return periods_ending(latest_complete(as_of, g), g, count)
    return periods_ending(when(text, "--period", "start"), g, count)


def as_of(value: datetime | None) -> datetime:
    """The --as-of time in UTC (naive times are UTC), or now."""
    if value is None:
        return datetime.now(UTC)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def show_records(found: Sequence[Any], kind: type[Any], fmt: Format, title: str) -> None:
    """Print a service's records (dataclasses of `kind`), their fields as the columns."""
    from productops.services.rows import columns

    render([asdict(r) for r in found], columns(kind), fmt, title=title)


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


@contextmanager
def progress_bar(title: str, console: Console = err) -> Iterator[Callable[[str, int, int], None]]:
    """A bar on `console` while the block runs, moved by the `(step, done, total)` calls of the
    function it yields; nothing where the console is not a terminal (a log, a pipe)."""
    if not console.is_terminal:
        yield lambda step, done, total: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, TimeElapsedColumn(), console=console, transient=True) as bar:
        task = bar.add_task(title, total=None)

        def show(step: str, done: int, total: int) -> None:
            bar.update(task, description=f"{title}: {step}", completed=done, total=total)

        yield show
