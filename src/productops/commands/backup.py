"""`productops backup DEST`: a consistent copy of the workspace, safe while it is in use."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from productops.commands.common import FormatOption, err, open_workspace
from productops.render import Format, literal, render
from productops.services.backup import backup as take

__all__ = ["backup"]


def backup(
    ctx: typer.Context,
    dest: Annotated[Path, typer.Argument(help="A new or empty folder outside the workspace.")],
    fmt: FormatOption = Format.table,
) -> None:
    """Copy the workspace to DEST as of one moment, even while `productops serve` runs on it
    (docs/server.md).

    The copy is a workspace: use it with `-w DEST`, restore it by copying it back. The salt
    key file lives outside the workspace (docs/surveys.md): back it up too.
    """
    ws = open_workspace(ctx)
    try:
        made = take(ws, dest)
    finally:
        ws.close()
    render([{**vars(made), "folder": str(made.folder)}], ["folder", "files", "bytes"], fmt)
    err.print(
        literal(
            f"Backed up to {made.folder}. The salt key file lives outside the workspace: "
            "back it up as well (docs/surveys.md)"
        ),
        soft_wrap=True,
    )
