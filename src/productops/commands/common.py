"""What every command shares: the global options, the --format option, the error console."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from productops.errors import UsageError
from productops.pillars.process import GRAINS, Grain
from productops.render import Format
from productops.workspace import Workspace

__all__ = ["FormatOption", "GrainOption", "Options", "err", "grain", "open_workspace"]

err = Console(stderr=True)

FormatOption = Annotated[
    Format, typer.Option("--format", "-f", help="Output as a table, JSON or CSV.")
]
GrainOption = Annotated[
    str, typer.Option("--grain", "-g", help="Period: day, week, month or quarter.")
]


@dataclass
class Options:
    """The global options, kept on the Typer context."""

    workspace: Path | None
    debug: bool


def open_workspace(ctx: typer.Context) -> Workspace:
    """The workspace named by --workspace, else the one at or above the current folder."""
    options: Options = ctx.find_root().obj
    if options.workspace is not None:
        return Workspace.open(options.workspace)
    return Workspace.find()


def grain(text: str) -> Grain:
    """Check a --grain value."""
    for known in GRAINS:
        if text == known:
            return known
    raise UsageError(f"--grain {text!r}: use {', '.join(GRAINS)}")
