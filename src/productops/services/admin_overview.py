"""What an admin watches (the web app's admin page): each connector's sync (its streams'
cursors, import runs and the rows it could not land, with why) and the workspace's settings
(secrets redacted)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from productops.services.audit import redact
from productops.status import import_history
from productops.sync import configured_sources

if TYPE_CHECKING:
    from productops.workspace import Workspace

__all__ = ["ERRORS_SHOWN", "ConnectorStatus", "connectors", "settings"]

ERRORS_SHOWN = 5
"""Newest quarantined rows shown per source."""


@dataclass(frozen=True)
class ConnectorStatus:
    """A source's sync: configured or only seen in the store; per stream its cursor and when
    it moved (`streams`); its import runs (`runs`, `last_import`, `landed`, `quarantined`);
    and its newest rows that failed validation (`errors`: table, reason)."""

    name: str
    configured: bool
    streams: list[dict[str, Any]]
    runs: int
    last_import: datetime | None
    landed: int
    quarantined: int
    errors: list[dict[str, Any]]


def connectors(ws: Workspace) -> list[ConnectorStatus]:
    """Every source configured in productops.toml or with imports in the store, by name."""
    configured = configured_sources(ws.config.connectors)
    history: dict[str, list[dict[str, Any]]] = {}
    for row in import_history(ws.store):
        history.setdefault(row["source"], []).append(row)
    cursors: dict[str, list[dict[str, Any]]] = {}
    for stream, cursor, synced_at, source in ws.store.sql(
        "SELECT stream, cursor, synced_at, source FROM sync_state ORDER BY stream"
    ):
        cursors.setdefault(source, []).append(
            {"stream": stream, "cursor": cursor, "synced_at": synced_at}
        )
    errors: dict[str, list[dict[str, Any]]] = {}
    for source, table, reason, at in ws.store.sql(
        "SELECT source, table_name, reason, ingested_at FROM quarantine "
        "QUALIFY row_number() OVER (PARTITION BY source ORDER BY ingested_at DESC, id) <= ?",
        [ERRORS_SHOWN],
    ):
        errors.setdefault(source, []).append({"table": table, "reason": reason, "at": at})
    names = sorted(set(configured) | set(history) | set(cursors))
    return [
        ConnectorStatus(
            name,
            name in configured,
            cursors.get(name, []),
            sum(r["runs"] for r in history.get(name, [])),
            max(
                (r["last_import"] for r in history.get(name, []) if r["last_import"]), default=None
            ),
            sum(r["landed"] or 0 for r in history.get(name, [])),
            sum(r["quarantined"] or 0 for r in history.get(name, [])),
            errors.get(name, []),
        )
        for name in names
    ]


def settings(ws: Workspace) -> dict[str, Any]:
    """The workspace's settings (productops.toml with its defaults), secrets redacted."""
    found: dict[str, Any] = redact(ws.config.model_dump(mode="json"))
    return found
