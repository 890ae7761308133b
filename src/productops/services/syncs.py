"""Syncs of a connected source: `productops sync` (`sync_now`) and the server's
`POST /api/v1/syncs` (`start_sync`, then `run_sync` in the background), both audited as one
`sync.start` row when they start and both running `sync_source` (docs/connectors.md). No
secret is returned: the counts, the cursors and the error's one-line message only (connectors
redact URLs, secrets stay in environment variables or files)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from productops.errors import UsageError
from productops.services import audit
from productops.sync import SyncReport, configured_sources, load_cursors, sync_source

if TYPE_CHECKING:
    from pathlib import Path

    from productops.services.actor import Actor
    from productops.workspace import Workspace

__all__ = [
    "SyncCounts",
    "SyncDone",
    "counts",
    "new_run",
    "run_sync",
    "start_sync",
    "sync_now",
]

# How a sync lands its rows: pulled from the source, replayed from files, re-mapped from storage.
How = Literal["pull", "files", "replay"]


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


def new_run(source: str) -> str:
    """A new sync run's id: the source and 12 random hex digits."""
    return f"{source}-{uuid.uuid4().hex[:12]}"


def start_sync(ws: Workspace, actor: Actor, source: str, run: str, how: How = "pull") -> None:
    """Check that `source` is connected and record that `actor` starts its sync `run` (a write:
    one `sync.start` audit row on `sync_state:SOURCE`, `after` the run, the source and `how`);
    `run_sync` (or `sync_now`) then does the work."""
    connected = configured_sources(ws.config.connectors)
    if source not in connected:
        known = ", ".join(connected) or "none yet"
        raise UsageError(
            f"source {source!r} is not connected (connected: {known}); "
            f"connect it with `productops connect {source}`"
        )
    with ws.store.transaction():
        after = {"run": run, "source": source, "how": how}
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


def sync_now(
    ws: Workspace,
    actor: Actor,
    source: str,
    *,
    files: Sequence[Path] = (),
    replay: bool = False,
    on_page: Callable[[SyncReport], None] | None = None,
) -> SyncReport:
    """`productops sync SOURCE`: pull `source` from its last cursor, replay `files` into it, or
    re-map its stored payloads (`replay`), audited as `actor`'s start (`start_sync`) before
    anything lands. A source unknown or not connected is refused by `sync_source`, unaudited.
    """
    if source in configured_sources(ws.config.connectors):
        how: How = "files" if files else "replay" if replay else "pull"
        start_sync(ws, actor, source, new_run(source), how)
    return sync_source(
        ws.store,
        ws.config.connectors,
        ws.root,
        source,
        files=files,
        replay=replay,
        on_page=on_page,
    )
