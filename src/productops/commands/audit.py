"""`productops audit`: the audit trail of writes, for admins (the command line at the machine
is one; docs/server.md)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

import typer

from productops.commands.common import FormatOption, open_workspace, parse_when
from productops.render import Format, render
from productops.services.audit import events
from productops.services.users import Access, authorize

__all__ = ["audit"]

COLUMNS = ["at", "actor", "action", "object", "before", "after", "request_id"]


def audit(
    ctx: typer.Context,
    user: Annotated[
        str | None,
        typer.Option(
            "--user",
            "-u",
            help="Only this actor (cli:ana, token:ana-1), or a user name: the user and their "
            "tokens.",
        ),
    ] = None,
    object_: Annotated[
        str | None,
        typer.Option("--object", help="Only this table (app_user) or object (app_user:ben)."),
    ] = None,
    since: Annotated[
        datetime | None,
        typer.Option(
            parser=parse_when("--since", "start"),
            metavar="WHEN",
            help="Only writes at or after this time: a date, a time, or the start of a month "
            "(2025-03), quarter (2025-Q1) or year (UTC).",
        ),
    ] = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Show the audit trail: who wrote what and when, before and after (admins only)."""
    authorize(Access.cli(), "admin")
    ws = open_workspace(ctx, read_only=True)
    rows = [vars(e) for e in events(ws, user=user, object=object_, since=since)]
    if fmt is not Format.json:
        rows = [{**r, "before": _compact(r["before"]), "after": _compact(r["after"])} for r in rows]
    render(rows, COLUMNS, fmt, title="audit trail")


def _compact(snapshot: dict[str, Any] | None) -> str | None:
    return None if snapshot is None else json.dumps(snapshot, separators=(",", ":"))
