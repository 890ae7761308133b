"""`productops serve`: the JSON API over this workspace, on Uvicorn (docs/server.md).

Interfaces never import each other: the command hands Uvicorn the app's import string
(`productops.web.app:from_environment`) and the workspace's folder in PRODUCTOPS_WORKSPACE.
"""

from __future__ import annotations

import os
from typing import Annotated

import typer

from productops.commands.common import err, open_workspace
from productops.render import literal

__all__ = ["serve"]

APP = "productops.web.app:from_environment"


def serve(
    ctx: typer.Context,
    host: Annotated[
        str, typer.Option(help="Address to listen on; 127.0.0.1 is this machine only.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8080,
) -> None:
    """Serve the workspace's JSON API under /api/v1 until interrupted (docs/server.md)."""
    import uvicorn

    ws = open_workspace(ctx)  # a missing or damaged workspace fails here, in one line
    root = ws.root.resolve()
    ws.close()
    ctx.find_root().obj.opened = None
    os.environ["PRODUCTOPS_WORKSPACE"] = str(root)
    err.print(
        literal(f"Serving {root} at http://{host}:{port}/api/v1 (Ctrl+C stops)"), soft_wrap=True
    )
    uvicorn.run(APP, factory=True, host=host, port=port, log_level="info")
