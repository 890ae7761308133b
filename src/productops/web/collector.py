"""Full garbage collections that do not stall the server (docs/server.md, "Figures").

CPython's full collection walks every container object the process holds. Once the routes have
run, about 400,000 of them are the modules' functions, classes and constants, which live as
long as the process; on the demo at `--scale 10` walking them took 150-270 ms every few
seconds, and every request in flight waited. `install(app)` freezes what is alive
(`gc.freeze`: full collections no longer walk it) when the server starts and after each
request during which modules were imported (routes import their heavy modules on first use).
Frozen objects are still freed once nothing refers to them; only a cycle among objects alive
at a freeze is never collected, so freezes are few: one per request that imported something.
"""

from __future__ import annotations

import gc
import sys
from dataclasses import dataclass

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["Imports", "install"]


@dataclass
class Imports:
    """The modules imported when objects were last frozen."""

    seen: int = 0

    def settle(self) -> bool:
        """Freeze every object alive if modules were imported since the last freeze; whether
        it froze."""
        if len(sys.modules) == self.seen:
            return False
        self.seen = len(sys.modules)
        gc.freeze()
        return True


class _Settling:
    """ASGI middleware: `Imports.settle` after each request."""

    def __init__(self, app: ASGIApp, imports: Imports) -> None:
        self.app, self.imports = app, imports

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
        finally:
            self.imports.settle()


def install(app: FastAPI) -> None:
    """Freeze the objects `app`'s process holds now, and after each request that imported
    modules. For a server's own process (`productops serve`) only: a process that makes many
    apps (the tests) would keep their cycles."""
    imports = Imports()
    gc.collect()  # what is garbage already is not kept
    imports.settle()
    app.add_middleware(_Settling, imports=imports)
