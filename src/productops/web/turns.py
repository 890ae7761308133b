"""The workspace the server serves, lent to its requests in turns (docs/server.md, "One store,
two kinds of process").

Reads take their turns side by side, writes one at a time beside them. Each turn works on a
view of its own of the one open store (`Store.cursor`), a read within one transaction: it sees
one state of the store, whatever writes commit meanwhile. The store stays open while turns use
it and for `LINGER_SECONDS` after the last; a keeper task gives it back at once when another
process says it waits for it (`Store.wanted`), the settings changed or a turn failed: new turns
wait until those in progress end, the store is closed, the waiting processes have had it, and
it is opened again.

`remembered` keeps a costly read's result (the scorecard, the flow table) and answers from it,
stale while it is computed again in the background, within the rule of `remembered`.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable, Hashable
from contextlib import asynccontextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, TypeVar

from anyio import CancelScope
from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import HTTPException, RequestValidationError

from productops.errors import ProductOpsError, WorkspaceError
from productops.workspace import STORE_FILE, Workspace

__all__ = [
    "LINGER_SECONDS",
    "REFRESH_SECONDS",
    "REMEMBER_SECONDS",
    "Served",
    "ServedDep",
]

LINGER_SECONDS = 1.0  # an idle server keeps the store open this long after its last turn
POLL_SECONDS = 0.02  # how often the keeper looks whether another process waits for the store
REMEMBER_SECONDS = 600.0  # the oldest a remembered read may be
REFRESH_SECONDS = 120.0  # a remembered read older than this is computed again, in the background
_REMEMBERED = 32  # reads remembered at most (the oldest is forgotten first)
T = TypeVar("T")
Stamp = tuple[int, int]  # the changes a read can see: (writes of any table, writes it reads)
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Counts:
    """The writes counted so far: any table's (`changes`), and per table those that said."""

    changes: int
    touched: tuple[tuple[str, int], ...]

    def stamp(self, ignoring: frozenset[str]) -> Stamp:
        """The changes a read that ignores the tables `ignoring` can see."""
        return self.changes, sum(n for table, n in self.touched if table not in ignoring)


@dataclass(frozen=True)
class _Kept:
    stamp: Stamp  # the writes its computation saw
    began: float  # time.monotonic() when its computation's snapshot was taken
    value: Any


@dataclass
class Served:
    """The served workspace: `turn()` lends a view of it to a request."""

    root: Path
    held: Workspace | None = None  # the store, open while turns use it and a while after
    _loop: asyncio.AbstractEventLoop | None = None  # the loop the primitives below belong to
    _state: asyncio.Condition = field(default_factory=asyncio.Condition)
    _writer: asyncio.Lock = field(default_factory=asyncio.Lock)  # one write at a time
    _using: int = 0  # turns in progress on `held`
    _leave: bool = False  # give the store back once no turn uses it
    _last: float = 0.0  # when the last turn ended
    _views: list[Workspace] = field(default_factory=list)  # views of `held` no turn uses
    _keeper: asyncio.Task[None] | None = None
    _settings: tuple[int, int] | None = None  # productops.toml's (mtime, size) when `held` opened
    _opening_since: float | None = None  # when the turns began to open the store, till one did
    _closed: tuple[tuple[int, int] | None, ...] = ()  # the store's files when last given back
    # Remembered reads; what follows is shared with the threads the turns run in.
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _counts: _Counts = _Counts(0, ())
    _snapshots: dict[int, _Counts] = field(default_factory=dict)  # a read view's, by id
    # The counts after a caller's last write, per the tables it said it wrote (None: any).
    _wrote: dict[str, dict[frozenset[str] | None, _Counts]] = field(default_factory=dict)
    _said: frozenset[str] | None = None  # the tables this turn's write said it wrote (None: any)
    _memo: dict[Hashable, _Kept] = field(default_factory=dict)
    _running: dict[Hashable, tuple[Stamp, concurrent.futures.Future[Any]]] = field(
        default_factory=dict
    )
    _background: set[asyncio.Task[None]] = field(default_factory=set)
    _computing: dict[int, Workspace] = field(default_factory=dict)  # views refreshing, by id
    _caller: str | None = None  # who writes in this write turn

    @asynccontextmanager
    async def turn(self, writes: bool = False) -> AsyncIterator[Workspace]:
        """A view of the workspace for this turn. A store another process holds is waited for
        up to `[workspace] lock_wait_seconds`, counted from when the request came or when the
        turns began to wait for it, whichever is later; past it, a `StoreBusyError`. Time
        queued behind the server's own writes is load, not the store, and does not count.
        `writes`: the turn may write, after the writes before it (`written_by` says who). A
        read turn is one transaction."""
        came = time.monotonic()
        self._bind()
        async with self._writer if writes else nullcontext():
            if writes:
                self._said, self._caller = None, None
            view = await self._begin(came, snapshot=not writes)
            answered = kept = False
            try:
                yield view
                answered = kept = True
            except BaseException as exc:
                kept = _callers_fault(exc)
                raise
            finally:
                if writes:
                    self._count()
                with CancelScope(shield=True):  # a cancelled request must not leave a view open
                    await self._end(view, answered, kept)

    def wrote_only(self, *tables: str) -> None:
        """Say that this turn's write wrote only `tables` (and the audit trail): a remembered read
        that ignores them stays. Call it in the (write) turn, before writing."""
        self._said = frozenset(tables)

    def written_by(self, caller: str) -> None:
        """Say who writes in this write turn (an actor's id): `remembered` shows it what it
        wrote."""
        self._caller = caller

    def changed(self) -> None:
        """The store was written outside the turns (a sync in the background of this process):
        what `remembered` kept is not to be given again as current."""
        with self._lock:
            self._counts = _Counts(self._counts.changes + 1, self._counts.touched)

    def remembered(
        self,
        ws: Workspace,
        key: Hashable,
        compute: Callable[[Workspace], T],
        ignoring: frozenset[str] = frozenset(),
        caller: str | None = None,
    ) -> T:
        """`compute(ws)`, or its result kept under `key`. Call it in a read turn (`ws` its view).

        The rule: a kept result is given if it is at most `REMEMBER_SECONDS` old and saw every
        write `caller` made before (writes of only the tables `ignoring`, and the audit trail,
        cannot change it); if other writes came since, or it is over `REFRESH_SECONDS` old, it
        is computed again in the background meanwhile. So others' writes and the clock show
        once the computation the first read after them started ends. Else this read computes
        it, or waits for the computation in progress that saw those writes."""
        need = self._need(caller, ignoring)
        while True:
            with self._lock:
                now = time.monotonic()
                current = self._counts.stamp(ignoring)
                kept = self._memo.get(key)
                fresh = kept is not None and now - kept.began < REMEMBER_SECONDS
                if kept is not None and fresh and _saw(kept.stamp, need):
                    if kept.stamp != current or now - kept.began >= REFRESH_SECONDS:
                        self._refresh_later(key, compute, ignoring)
                    value: T = kept.value
                    return value
                running = self._running.get(key)
                joined = running is not None and _saw(running[0], need)
                if not joined:
                    future: concurrent.futures.Future[Any] = concurrent.futures.Future()
                    running = self._run(ws, key, ignoring, future)
            if joined:
                assert running is not None
                try:
                    found: T = running[1].result()
                    return found
                except Exception:  # a computation given up (interrupted): compute here
                    continue
            return self._compute(ws, key, compute, ignoring, future)

    # -- the turns --------------------------------------------------------------

    def _bind(self) -> None:
        """The asyncio primitives belong to the running loop (a test may run several)."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            self._give_back()  # left open by a loop that ended
            self._loop, self._state, self._writer = loop, asyncio.Condition(), asyncio.Lock()

    async def _begin(self, came: float, snapshot: bool) -> Workspace:
        async with self._state:
            while self._leave and self._using:  # the store is being given back
                await self._state.wait()
            with CancelScope(shield=True):
                if self._leave:
                    await run_in_threadpool(self._give_back)
                if self.held is None:
                    await run_in_threadpool(self._open, came)
                    self._keeper = asyncio.get_running_loop().create_task(self._keep())
            self._using += 1
            view = self._views.pop() if self._views else self._view()
        if snapshot:
            counts = self._counts  # taken before the snapshot: it may see more, never less
            try:
                await run_in_threadpool(view.store.begin)
            except BaseException:
                with CancelScope(shield=True):
                    await self._end(view, False, False)
                raise
            with self._lock:
                self._snapshots[id(view.store)] = counts
        return view

    async def _end(self, view: Workspace, answered: bool, kept: bool) -> None:
        """End a turn on `view`: a read's transaction commits if `answered` (else it rolls
        back); the store is kept open if `kept` (a turn that failed for the caller's fault)."""
        with self._lock:
            snapshot = self._snapshots.pop(id(view.store), None)
        if snapshot is not None:
            try:
                await run_in_threadpool(view.store.finish, answered)
            except Exception:
                log.exception("a read turn's transaction could not end")
                kept = False
        async with self._state:
            self._using -= 1
            self._last = time.monotonic()
            if kept:
                self._views.append(view)
            else:  # start afresh: after a failure the store may not be as it should
                self._leave = True
            kept_by = self._keeper is not None and not self._keeper.done()
            if (self._leave or not kept_by) and not self._using:  # no keeper: the loop ends
                await run_in_threadpool(self._give_back)
            self._state.notify_all()

    async def _keep(self) -> None:
        """While the store is open: give it back when another process waits for it, the
        settings changed, or no turn used it for `LINGER_SECONDS`; interrupt the background
        computations for a waiting process (they are done again after)."""
        try:
            while self.held is not None:
                await asyncio.sleep(POLL_SECONDS)
                held = self.held
                if held is None:
                    return
                idle = not self._using and time.monotonic() - self._last >= LINGER_SECONDS
                if not self._leave and not idle:
                    wanted = held.store.wanted()
                    if not wanted and _stamp(held) == self._settings:
                        continue
                    if wanted:
                        self._interrupt_background()
                async with self._state:
                    self._leave = True
                    if not self._using:
                        with CancelScope(shield=True):
                            await run_in_threadpool(self._give_back)
                        self._state.notify_all()
                        return
        finally:
            if self.held is not None and not self._using and not self._background:
                self._give_back()  # the loop ends (a test's): nothing left open

    def _view(self) -> Workspace:
        """A new view of the held store for one turn at a time."""
        assert self.held is not None
        return Workspace(self.root, self.held.config, self.held.store.cursor())

    def _open(self, came: float) -> None:
        """Open the store, after the processes waiting for it. A turn that cannot open it
        leaves `_opening_since` set: the next one waits no longer."""
        now = time.monotonic()
        self._opening_since = self._opening_since or now
        waited = now - max(came, self._opening_since)
        self.held = Workspace.open(self.root, waited=waited, defer=True)
        self._settings, self._opening_since = _stamp(self.held), None
        self._last = time.monotonic()
        if _files(self.root) != self._closed:
            self.changed()

    def _give_back(self) -> None:
        """Close the store, for other processes to have."""
        views, self._views = self._views, []
        held, self.held, self._leave = self.held, None, False
        for view in views:
            view.close()
        if held is not None:
            held.close()
            self._closed = _files(self.root)

    def _count(self) -> None:
        """Count this write turn's write."""
        with self._lock:
            counts = self._counts
            if self._said is None:
                counts = _Counts(counts.changes + 1, counts.touched)
            else:
                touched = dict(counts.touched)
                for table in self._said:
                    touched[table] = touched.get(table, 0) + 1
                counts = _Counts(counts.changes, tuple(sorted(touched.items())))
            self._counts = counts
            if self._caller is not None:
                self._wrote.setdefault(self._caller, {})[self._said] = counts

    # -- remembered reads -------------------------------------------------------

    def _need(self, caller: str | None, ignoring: frozenset[str]) -> Stamp:
        """The writes a result given to `caller` must have seen: its own, but those of only the
        tables `ignoring`."""
        with self._lock:
            wrote = self._wrote.get(caller, {}) if caller is not None else {}
            stamps = [
                c.stamp(ignoring) for said, c in wrote.items() if said is None or said - ignoring
            ]
        return max((s[0] for s in stamps), default=0), max((s[1] for s in stamps), default=0)

    def _run(
        self,
        ws: Workspace,
        key: Hashable,
        ignoring: frozenset[str],
        future: concurrent.futures.Future[Any],
    ) -> tuple[Stamp, concurrent.futures.Future[Any]]:
        """Say that `ws`'s turn computes `key` (under `_lock`)."""
        snapshot = self._snapshots.get(id(ws.store), self._counts)
        running = (snapshot.stamp(ignoring), future)
        self._running[key] = running
        return running

    def _compute(
        self,
        ws: Workspace,
        key: Hashable,
        compute: Callable[[Workspace], T],
        ignoring: frozenset[str],
        future: concurrent.futures.Future[Any],
    ) -> T:
        """Compute `key` in `ws`'s turn, keep it, and give it to those waiting for it."""
        with self._lock:
            snapshot = self._snapshots.get(id(ws.store), self._counts)
        began = time.monotonic()
        try:
            value = compute(ws)
        except BaseException as exc:
            with self._lock:
                if self._running.get(key, (None, None))[1] is future:
                    del self._running[key]
            future.set_exception(exc)
            raise
        with self._lock:
            if self._running.get(key, (None, None))[1] is future:
                del self._running[key]
            kept = self._memo.get(key)
            stamp = snapshot.stamp(ignoring)
            if kept is None or _saw(stamp, kept.stamp):
                self._memo.pop(key, None)
                self._memo[key] = _Kept(stamp, began, value)
            while len(self._memo) > _REMEMBERED:
                del self._memo[next(iter(self._memo))]
        future.set_result(value)
        return value

    def _refresh_later(
        self, key: Hashable, compute: Callable[[Workspace], Any], ignoring: frozenset[str]
    ) -> None:
        """Compute `key` again in a read turn of its own, unless one does (under `_lock`)."""
        if key in self._running or self._loop is None:
            return
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        self._running[key] = (self._counts.stamp(ignoring), future)  # its turn sees these
        self._loop.call_soon_threadsafe(self._start, key, compute, ignoring, future)

    def _start(
        self,
        key: Hashable,
        compute: Callable[[Workspace], Any],
        ignoring: frozenset[str],
        future: concurrent.futures.Future[Any],
    ) -> None:
        task = asyncio.get_running_loop().create_task(self._refresh(key, compute, ignoring, future))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _refresh(
        self,
        key: Hashable,
        compute: Callable[[Workspace], Any],
        ignoring: frozenset[str],
        future: concurrent.futures.Future[Any],
    ) -> None:
        """`key` computed again in the background; given up if interrupted or failed."""
        try:
            async with self.turn() as view:
                with self._lock:
                    self._run(view, key, ignoring, future)
                self._computing[id(view.store)] = view
                try:
                    with CancelScope(shield=True):
                        await run_in_threadpool(self._compute, view, key, compute, ignoring, future)
                finally:
                    del self._computing[id(view.store)]
        except Exception as exc:  # the kept result stays; the next read tries again
            log.info("remembered %r not computed again: %s", key, str(exc).splitlines()[0])
            with self._lock:
                if self._running.get(key, (None, None))[1] is future:
                    del self._running[key]
            if not future.done():
                future.set_exception(exc)

    def _interrupt_background(self) -> None:
        """Stop the background computations' queries: a waiting process comes first."""
        for view in list(self._computing.values()):
            view.store.interrupt()


def served(request: Request) -> Served:
    """The app's served workspace."""
    found: Served = request.app.state.served
    return found


ServedDep = Annotated[Served, Depends(served)]


def _callers_fault(exc: BaseException) -> bool:
    """Whether a turn that raised `exc` left the store as it should be: the caller got
    something wrong (an unknown id, a refusal, bad input), not the store or the server."""
    if isinstance(exc, WorkspaceError):
        return False
    return isinstance(exc, ProductOpsError | HTTPException | RequestValidationError)


def _saw(stamp: Stamp, need: Stamp) -> bool:
    """Whether a computation that saw the changes `stamp` saw those of `need`."""
    return stamp[0] >= need[0] and stamp[1] >= need[1]


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
