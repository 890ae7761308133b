"""`productops feedback ticket`: a ticket in Jira, GitHub, GitLab or Linear from a theme or an
insight (docs/feedback.md#tickets). Joins the `feedback` group (`PARTS` in cli.py)."""

from __future__ import annotations

from typing import Annotated

import typer

from productops.commands.common import err, open_workspace
from productops.connectors.tickets import TRACKERS
from productops.render import literal
from productops.services import Actor
from productops.services.tickets import create_ticket

__all__ = ["ticket"]


def ticket(
    ctx: typer.Context,
    subject: Annotated[
        str,
        typer.Argument(
            metavar="THEME_OR_INSIGHT", help="Theme or insight id (or its part after `source:`)."
        ),
    ],
    to: Annotated[str, typer.Option("--to", help=f"The tracker: {', '.join(TRACKERS)}.")],
    title: Annotated[
        str | None, typer.Option(help="The ticket's title (default: the theme's or insight's).")
    ] = None,
    project: Annotated[
        str | None,
        typer.Option(
            help="Jira project key, GitHub owner/name, GitLab project path or Linear team key "
            "(default: the one the tracker's settings name)."
        ),
    ] = None,
) -> None:
    """Create a ticket from a theme or insight, with its demand and a link back; the feedback
    is linked to it as confirmed. Run twice, it makes one ticket."""
    ws = open_workspace(ctx)
    try:
        with err.status(literal(f"Creating the ticket in {to}")):
            made = create_ticket(ws, Actor.cli(), subject, to, title=title, project=project)
        typer.echo(f"{made.work_item_id} {made.url}")
        said = "created" if made.created else "already there"
        err.print(literal(f"{made.subject}: {said}; {made.linked} feedback linked"))
    finally:
        ws.close()
