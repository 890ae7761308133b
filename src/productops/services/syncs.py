"""Syncs of a connected source started from an interface other than `productops sync` (the
server's `POST /api/v1/syncs`): the start, audited, and the run itself, the same `sync_source`
the command line runs (docs/connectors.md). No secret is returned: the counts, the cursors
and the error's one-line message only (connectors redact URLs, secrets stay in environment
variables or files)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from productops.errors import UsageError
from productops.services import audit
from productops.sync import SyncReport, configured_sources, load_cursors, sync_source

if TYPE_CHECKING:
    from productops.services.actor import Actor
    from productops.workspace import Workspace

__all__ = ["SyncCounts", "SyncDone", "counts", "run_sync", "start_sync"]


@dataclass(frozen=True)
class SyncCounts:
    """What a sync did to one table: rows landed (new), updated, unchanged and quarantined."""

    source: str
    table: str
    landed: int
    updated: int
    unchanged: int
    quarantined: int


@dataclass(frozen=True)
class SyncDone:
    """A sync's outcome: pages read, counts per table, notes, and each stream's cursor after."""

    pages: int
    rows: list[SyncCounts]
    notes: list[str]
    cursor: dict[str, str]


def start_sync(ws: Workspace, actor: Actor, source: str, run: str) -> None:
    """Check that `source` is connected and record that `actor` starts its sync `run` (a write:
    one `sync.start` audit row on `sync_state:SOURCE`); `run_sync` then does the work."""
    connected = configured_sources(ws.config.connectors)
    if source not in connected:
        known = ", ".join(connected) or "none yet"
        raise UsageError(
            f"source {source!r} is not connected (connected: {known}); "
            f"connect it with `productops connect {source}`"
        )
    with ws.store.transaction():
        after = {"run": run, "source": source}
        audit.record(ws, actor, "sync.start", f"sync_state:{source}", None, after)


def counts(report: SyncReport) -> list[SyncCounts]:
    """A report's counts per table."""
    return [SyncCounts(**row) for row in report.rows()]


def run_sync(
    ws: Workspace, source: str, on_page: Callable[[SyncReport], None] | None = None
) -> SyncDone:
    """Pull `source` from its last cursor into the canonical tables, as `productops sync SOURCE`
    does; `on_page` sees the report after each page."""
    report = sync_source(ws.store, ws.config.connectors, ws.root, source, on_page=on_page)
    return SyncDone(report.pages, counts(report), report.notes, load_cursors(ws.store, source))
