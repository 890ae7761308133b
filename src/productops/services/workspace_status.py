"""What the workspace holds: rows per canonical table, imports per source, quarantined rows, and
the canonical schema itself (`productops status`, `quarantine`, `schema`, and the API)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from productops.errors import NotFoundError
from productops.schema import TABLES
from productops.services.rows import typed
from productops.status import import_history, quarantined_rows, table_counts

if TYPE_CHECKING:
    from productops.workspace import Workspace

__all__ = [
    "CanonicalColumn",
    "CanonicalTable",
    "ImportHistory",
    "QuarantinedRow",
    "TableCount",
    "WorkspaceStatus",
    "canonical_tables",
    "quarantine",
    "table_columns",
    "workspace_status",
]


@dataclass(frozen=True)
class TableCount:
    """A canonical table: rows held, rows quarantined for it, when it was last imported."""

    table: str
    area: str
    rows: int
    quarantined: int
    last_import: datetime | None


@dataclass(frozen=True)
class ImportHistory:
    """Imports of a source into a table: how many runs, the last, and rows landed in all."""

    source: str
    table: str
    runs: int
    last_import: datetime | None
    landed: int | None
    updated: int | None
    quarantined: int | None


@dataclass(frozen=True)
class WorkspaceStatus:
    """Rows per table and imports per source."""

    tables: list[TableCount]
    imports: list[ImportHistory]


@dataclass(frozen=True)
class QuarantinedRow:
    """A row an import could not land: its file, line, why, and the record as read (JSON)."""

    table_name: str | None
    file: str | None
    line: int | None
    reason: str | None
    record: str | None


@dataclass(frozen=True)
class CanonicalTable:
    """A canonical table: its area, key columns and what it holds."""

    table: str
    area: str
    key: str
    description: str


@dataclass(frozen=True)
class CanonicalColumn:
    """A column of a canonical table: its type, whether it is (part of) the key or required,
    the values it accepts, the table it refers to."""

    column: str
    type: str
    key: bool
    required: bool
    accepted: str
    refers_to: str | None
    description: str


def workspace_status(ws: Workspace) -> WorkspaceStatus:
    """Rows per canonical table and imports per source."""
    return WorkspaceStatus(
        typed(table_counts(ws.store), TableCount), typed(import_history(ws.store), ImportHistory)
    )


def quarantine(
    ws: Workspace, table_name: str | None = None, limit: int | None = None
) -> list[QuarantinedRow]:
    """The newest quarantined rows (meant for `table_name`); at most `limit`."""
    return typed(quarantined_rows(ws.store, table_name, limit), QuarantinedRow)


def canonical_tables() -> list[CanonicalTable]:
    """Every canonical table."""
    return [CanonicalTable(t.name, t.area, ", ".join(t.key), t.doc) for t in TABLES.values()]


def table_columns(name: str) -> tuple[str, list[CanonicalColumn]]:
    """Canonical table `name`'s description and columns (unknown: a `NotFoundError`)."""
    if name not in TABLES:
        raise NotFoundError(f"unknown table {name!r}; known tables: {', '.join(TABLES)}")
    t = TABLES[name]
    return t.doc, [
        CanonicalColumn(
            c.name, c.type, c.name in t.key, c.required, ", ".join(c.choices), c.ref, c.doc
        )
        for c in t.columns
    ]
