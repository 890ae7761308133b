"""The workspace the server serves, taken by its requests in turns (docs/server.md, "One store,
two kinds of process").

One request at a time has the store. Between two turns the server keeps it open while more
requests wait and no other process does; otherwise it closes it, so that a command line on the
same workspace (which says it waits: `Store.wanted`) gets it between two requests, and an idle
server holds nothing.

`remembered` keeps a costly read's result (the scorecard, the flow table) for up to
`REMEMBER_SECONDS`, while the store is unchanged for it: no write through the server since
(but those that said they wrote only tables the read ignores, `wrote_only`), and the store's
file untouched by another process.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Hashable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, TypeVar

from anyio import CancelScope
from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool

from productops.workspace import STORE_FILE, Workspace

__all__ = ["REMEMBER_SECONDS", "Served", "ServedDep"]

REMEMBER_SECONDS = 60.0  # the oldest a remembered read may be
_REMEMBERED = 32  # reads remembered at most (the oldest is forgotten first)
T = TypeVar("T")


@dataclass
class Served:
    """The served workspace: `turn()` lends it to one request at a time."""

    root: Path
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    queued: int = 0  # requests waiting for their turn
    held: Workspace | None = None  # open between turns
    _settings: tuple[int, int] | None = None  # productops.toml's (mtime, size) when `held` opened
    _opening_since: float | None = None  # when the turns began to open the store, till one did
    _changes: int = 0  # writes through the server, and times another process may have written
    _touched: dict[str, int] = field(default_factory=dict)  # writes that said their tables
    _wrote: frozenset[str] | None = None  # the tables this turn's write said it wrote (None: any)
    _closed: tuple[tuple[int, int] | None, ...] = ()  # the store's files when last given back
    _memo: dict[Hashable, tuple[tuple[int, int], float, Any]] = field(default_factory=dict)

    @asynccontextmanager
    async def turn(self, writes: bool = False) -> AsyncIterator[Workspace]:
        """The workspace, open for this turn. A store another process holds is waited for up to
        `[workspace] lock_wait_seconds`, counted from when the request came or when the turns
        began to wait for it, whichever is later; past it, a `StoreBusyError`. Time queued
        behind the server's own requests is load, not the store, and does not count. `writes`:
        the request may write (what it reads later is not what `remembered` kept)."""
        came = time.monotonic()
        self.queued += 1
        try:
            await self.lock.acquire()
        finally:
            self.queued -= 1
        self._wrote = None
        try:
            with CancelScope(shield=True):  # a cancelled request must not leave the store open
                ws = await run_in_threadpool(self._take, came)
            answered = False
            try:
                yield ws
                answered = True
            finally:
                self._count(writes)
                if not (answered and self.queued):  # after a failure, start afresh
                    with CancelScope(shield=True):
                        await run_in_threadpool(self._give_back)
        finally:
            self.lock.release()

    def wrote_only(self, *tables: str) -> None:
        """Say that this turn's write wrote only `tables` (and the audit trail): a remembered read
        that ignores them stays. Call it in the turn, before writing."""
        self._wrote = frozenset(tables)

    def _count(self, writes: bool) -> None:
        if writes and self._wrote is not None:
            for table in self._wrote:
                self._touched[table] = self._touched.get(table, 0) + 1
        else:
            self._changes += writes

    def _stamp(self, ignoring: frozenset[str]) -> tuple[int, int]:
        """The changes a read that ignores the tables `ignoring` can see."""
        seen = sum(n for table, n in self._touched.items() if table not in ignoring)
        return self._changes, seen

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
            self._changes += _files(self.root) != self._closed
        return self.held

    def _give_back(self) -> None:
        """Close the store, for other processes to have."""
        if self.held is not None:
            held, self.held = self.held, None
            held.close()
            self._closed = _files(self.root)

    def changed(self) -> None:
        """The store was written outside the turns (a sync in the background of this process):
        what `remembered` kept is not to be given again."""
        self._changes += 1

    def remembered(
        self, key: Hashable, compute: Callable[[], T], ignoring: frozenset[str] = frozenset()
    ) -> T:
        """`compute()`, or its result kept under `key` if the store is unchanged since (but for
        writes of only the tables `ignoring`, which cannot change it, and the audit trail) and it
        is at most `REMEMBER_SECONDS` old. Call it in a turn, for reads only."""
        now = time.monotonic()
        stamp = self._stamp(ignoring)
        kept = self._memo.get(key)
        if kept is not None and kept[0] == stamp and now - kept[1] < REMEMBER_SECONDS:
            value: T = kept[2]
            return value
        value = compute()
        self._memo.pop(key, None)
        self._memo[key] = (stamp, now, value)
        while len(self._memo) > _REMEMBERED:
            del self._memo[next(iter(self._memo))]
        return value


def served(request: Request) -> Served:
    """The app's served workspace."""
    found: Served = request.app.state.served
    return found


ServedDep = Annotated[Served, Depends(served)]


def _files(root: Path) -> tuple[tuple[int, int] | None, ...]:
    """When and how big the store's file and its write-ahead log are (None: no such file)."""
    found: list[tuple[int, int] | None] = []
    for name in (STORE_FILE, f"{STORE_FILE}.wal"):
        try:
            stat = (root / name).stat()
        except FileNotFoundError:
            found.append(None)
        else:
            found.append((stat.st_mtime_ns, stat.st_size))
    return tuple(found)


def _stamp(ws: Workspace) -> tuple[int, int]:
    """When and how big the workspace's productops.toml is: a change is a reason to read it."""
    stat = ws.config_path.stat()
    return stat.st_mtime_ns, stat.st_size
