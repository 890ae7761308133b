"""The workspace the server serves, taken by its requests in turns (docs/server.md, "One store,
two kinds of process").

One request at a time has the store. Between two turns the server keeps it open while more
requests wait and no other process does; otherwise it closes it, so that a command line on the
same workspace (which says it waits: `Store.wanted`) gets it between two requests, and an idle
server holds nothing.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from anyio import CancelScope
from fastapi.concurrency import run_in_threadpool

from productops.workspace import Workspace

__all__ = ["Served"]


@dataclass
class Served:
    """The served workspace: `turn()` lends it to one request at a time."""

    root: Path
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    queued: int = 0  # requests waiting for their turn
    held: Workspace | None = None  # open between turns
    _settings: tuple[int, int] | None = None  # productops.toml's (mtime, size) when `held` opened
    _opening_since: float | None = None  # when the turns began to open the store, till one did

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[Workspace]:
        """The workspace, open for this turn. A store another process holds is waited for up to
        `[workspace] lock_wait_seconds`, counted from when the request came or when the turns
        began to wait for it, whichever is later; past it, a `StoreBusyError`. Time queued
        behind the server's own requests is load, not the store, and does not count."""
        came = time.monotonic()
        self.queued += 1
        try:
            await self.lock.acquire()
        finally:
            self.queued -= 1
        try:
            with CancelScope(shield=True):  # a cancelled request must not leave the store open
                ws = await run_in_threadpool(self._take, came)
            answered = False
            try:
                yield ws
                answered = True
            finally:
                if not (answered and self.queued):  # after a failure, start afresh
                    with CancelScope(shield=True):
                        await run_in_threadpool(self._give_back)
        finally:
            self.lock.release()

    def _take(self, came: float) -> Workspace:
        """The workspace held since the last turn, unless another process waits for the store
        or the settings changed; else the workspace opened anew (after the waiting processes).
        A turn that cannot open it leaves `_opening_since` set: the next one waits no longer."""
        held = self.held
        if held is not None and (held.store.wanted() or _stamp(held) != self._settings):
            self._give_back()
        if self.held is None:
            now = time.monotonic()
            self._opening_since = self._opening_since or now
            waited = now - max(came, self._opening_since)
            self.held = Workspace.open(self.root, waited=waited, defer=True)
            self._settings, self._opening_since = _stamp(self.held), None
        return self.held

    def _give_back(self) -> None:
        """Close the store, for other processes to have."""
        if self.held is not None:
            held, self.held = self.held, None
            held.close()


def _stamp(ws: Workspace) -> tuple[int, int]:
    """When and how big the workspace's productops.toml is: a change is a reason to read it."""
    stat = ws.config_path.stat()
    return stat.st_mtime_ns, stat.st_size
