"""Syncs the server runs in the background: one thread per sync, one sync at a time per source,
each run's status kept in the server's memory (`GET /api/v1/syncs`), not in the store: a restart
forgets them, while the data they landed and their cursors stay (docs/server.md#syncs).

A running sync holds its own connection to the store for its duration, like a long command of
the command line: requests keep their turns beside it (DuckDB shares one process's
connections), and a command line on the same workspace waits until the sync is done.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from productops.errors import ConflictError, NotFoundError, ProductOpsError
from productops.services.actor import Actor
from productops.services.syncs import SyncCounts, counts, new_run, run_sync, start_sync
from productops.workspace import Workspace

if TYPE_CHECKING:
    from productops.sync import SyncReport

__all__ = ["SyncRun", "Syncs"]

log = logging.getLogger("productops.web")


@dataclass(frozen=True)
class SyncRun:
    """A sync the server started: running, succeeded or failed; rows landed per table so far,
    pages read, each stream's cursor when it ended, and why it failed (one line)."""

    id: str
    source: str
    status: Literal["running", "succeeded", "failed"]
    started_by: str
    started_at: datetime
    finished_at: datetime | None = None
    pages: int = 0
    rows: list[SyncCounts] = field(default_factory=list)
    cursor: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    error: str | None = None


class Syncs:
    """The syncs of the workspace in `root` that this server process runs; `changed` is told
    after each page a sync lands (the served workspace forgets its remembered reads)."""

    def __init__(self, root: Path, changed: Callable[[], None]) -> None:
        self.root = root
        self.changed = changed
        self._runs: dict[str, SyncRun] = {}
        self._lock = threading.Lock()

    def start(self, ws: Workspace, actor: Actor, source: str) -> SyncRun:
        """Start a sync of `source` (audited as `actor`'s): a `ConflictError` while one of it
        runs, a `UsageError` for a source not connected."""
        with self._lock:
            running = [r for r in self._runs.values() if r.source == source]
            if any(r.status == "running" for r in running):
                [busy] = [r for r in running if r.status == "running"]
                raise ConflictError(
                    f"a sync of {source} is running already ({busy.id}); "
                    f"follow it at /api/v1/syncs/{busy.id}"
                )
            run = SyncRun(
                id=new_run(source),
                source=source,
                status="running",
                started_by=actor.id,
                started_at=datetime.now(UTC),
            )
            start_sync(ws, actor, source, run.id)
            self._runs[run.id] = run
        threading.Thread(
            target=self._run, args=(run.id,), name=f"sync {run.id}", daemon=True
        ).start()
        return run

    def runs(self) -> list[SyncRun]:
        """Every sync this process started, newest first."""
        with self._lock:
            return sorted(self._runs.values(), key=lambda r: (r.started_at, r.id), reverse=True)

    def run(self, ident: str) -> SyncRun:
        """The sync `ident` (unknown: `NotFoundError`)."""
        with self._lock:
            if ident not in self._runs:
                raise NotFoundError(f"unknown sync {ident!r}; list them at /api/v1/syncs")
            return self._runs[ident]

    def _update(self, ident: str, **changes: object) -> None:
        with self._lock:
            self._runs[ident] = replace(self._runs[ident], **changes)  # type: ignore[arg-type]

    def _progress(self, ident: str, report: SyncReport) -> None:
        self.changed()
        self._update(ident, pages=report.pages, rows=counts(report))

    def _run(self, ident: str) -> None:
        source = self.run(ident).source
        try:
            ws = Workspace.open(self.root)
            try:
                done = run_sync(ws, source, on_page=lambda r: self._progress(ident, r))
            finally:
                ws.close()
        except ProductOpsError as exc:
            self._update(ident, status="failed", error=str(exc), finished_at=datetime.now(UTC))
        except Exception:
            log.exception("sync %s failed", ident)
            error = "the sync failed on the server; its log has the error"
            self._update(ident, status="failed", error=error, finished_at=datetime.now(UTC))
        else:
            self.changed()  # a re-mapping lands its rows without pages
            self._update(
                ident,
                status="succeeded",
                finished_at=datetime.now(UTC),
                pages=done.pages,
                rows=done.rows,
                notes=done.notes,
                cursor=done.cursor,
            )
