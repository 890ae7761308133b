"""`productops serve`: the JSON API over this workspace, on Uvicorn (docs/server.md).

Interfaces never import each other: the command hands Uvicorn the app's import string
(`productops.web.app:from_environment`) and the workspace's folder in PRODUCTOPS_WORKSPACE.
"""

from __future__ import annotations

import os
import socket
from typing import Annotated

import typer

from productops.commands.common import err, open_workspace
from productops.errors import UsageError
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
    """Serve the workspace's JSON API under /api/v1 and run its schedule, until interrupted
    (docs/server.md)."""
    import uvicorn

    _check_free(host, port)
    ws = open_workspace(ctx)  # a missing or damaged workspace fails here, in one line
    root = ws.root.resolve()
    ws.close()
    ctx.find_root().obj.opened = None
    os.environ["PRODUCTOPS_WORKSPACE"] = str(root)
    err.print(
        literal(f"Serving {root} at http://{host}:{port}/api/v1 (Ctrl+C stops)"), soft_wrap=True
    )
    # proxy_headers off: the app itself decides whether to believe X-Forwarded-Proto and -Host
    # ([server] trust_proxy), for the Secure cookie and the OpenID Connect redirect
    uvicorn.run(APP, factory=True, host=host, port=port, log_level="info", proxy_headers=False)


def _check_free(host: str, port: int) -> None:
    """Refuse, in one line, an address this process cannot listen on (Uvicorn would log it
    among its start-up lines and exit with code 3)."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as Uvicorn binds
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise UsageError(
                f"cannot listen on {host}:{port} ({exc.strerror}): choose another --port, "
                "or stop what holds it"
            ) from None
