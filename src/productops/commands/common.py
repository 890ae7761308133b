"""What every command shares: the global options, the --format option, the error console."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from productops.errors import UsageError
from productops.render import Format, render

# Imported where used, so that `--help` imports no engine, Ibis or models (see cli.py).
if TYPE_CHECKING:
    import ibis.expr.types as ir

    from productops.durations import Grain
    from productops.pillars.customer.embeddings import Embedder
    from productops.workspace import Workspace

__all__ = [
    "AsOfOption",
    "ByOption",
    "FormatOption",
    "GrainOption",
    "Options",
    "SinceOption",
    "TeamOption",
    "UntilOption",
    "WhereOption",
    "as_of",
    "err",
    "grain",
    "log_usage",
    "moment",
    "open_workspace",
    "show",
]

err = Console(stderr=True)

FormatOption = Annotated[
    Format, typer.Option("--format", "-f", help="Output as a table, JSON or CSV.")
]
TeamOption = Annotated[str | None, typer.Option("--team", "-t", help="Only this team.")]
SinceOption = Annotated[
    datetime | None, typer.Option(help="Only periods starting on or after this date (UTC).")
]
UntilOption = Annotated[
    datetime | None, typer.Option(help="Only periods starting before this date (UTC).")
]
AsOfOption = Annotated[
    datetime | None,
    typer.Option(
        "--as-of", help="Measure open items and ages as of this time (default: now, UTC)."
    ),
]
GrainOption = Annotated[
    str, typer.Option("--grain", "-g", help="Period: day, week, month or quarter.")
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
        "-w",
        help="Filter, e.g. 'segment in (smb, enterprise)' or 'plan != free' (repeatable).",
    ),
]


@dataclass
class Options:
    """The global options, kept on the Typer context."""

    workspace: Path | None
    debug: bool


def open_workspace(ctx: typer.Context, read_only: bool = False) -> Workspace:
    """The workspace named by --workspace, else the one at or above the current folder.

    `read_only` for a command that only reads; a store this process may not write opens
    read-only anyway, with a note.
    """
    from productops.workspace import Workspace

    options: Options = ctx.find_root().obj
    if options.workspace is not None:
        ws = Workspace.open(options.workspace, read_only=read_only)
    else:
        ws = Workspace.find(read_only=read_only)
    if ws.store.unwritable and not read_only:
        err.print(
            f"note: {ws.store.unwritable}: the store is open read-only, commands that write fail",
            soft_wrap=True,
        )
    return ws


def current_user(ws: Workspace) -> str | None:
    """The person using productops: PRODUCTOPS_USER, else `[workspace] user`, else nobody."""
    return os.environ.get("PRODUCTOPS_USER") or ws.config.workspace.user


def pick_embedder(fallback: bool) -> Embedder:
    """The embedder a --fallback flag picks: MiniLM (if installed) or the model-free one."""
    from productops.pillars.customer.embeddings import default_embedder, fallback_embedder

    return fallback_embedder() if fallback else default_embedder()


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


def moment(text: str | None, option: str = "--at") -> datetime:
    """An ISO 8601 option value in UTC (naive is UTC), or now to the second."""
    if text is None:
        return datetime.now(UTC).replace(microsecond=0)
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{option} {text!r}: expected ISO 8601, e.g. 2026-03-01T09:30") from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def as_of(value: datetime | None) -> datetime:
    """The --as-of time in UTC (naive times are UTC), or now."""
    if value is None:
        return datetime.now(UTC)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def show(
    expr: ir.Table,
    columns: list[str],
    fmt: Format,
    title: str,
    team: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[dict[str, Any]]:
    """Filter a metric's table to a team and a range of periods, execute it and print it."""
    names = expr.columns
    if team is not None:
        team_column = "team_id" if "team_id" in names else "blocked_team"
        expr = expr.filter(expr[team_column] == team)
    if since is not None and "period_start" in names:
        expr = expr.filter(expr.period_start >= as_of(since))
    if until is not None and "period_start" in names:
        expr = expr.filter(expr.period_start < as_of(until))
    rows: list[dict[str, Any]] = expr.to_pyarrow().to_pylist()
    render(rows, columns, fmt, title=title)
    return rows
