"""What the workspace holds, under `/api/v1`: rows per table and imports per source (as
`productops status -f json`), quarantined rows (as `productops quarantine`, admins only: they
are records as read from a file), and the canonical schema (as `productops schema`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Query

from productops.services import workspace_status as service
from productops.web.auth import WorkspaceDep
from productops.web.paging import Page, PagingDep
from productops.web.usage import AdminDep, ReaderDep, log_read

__all__ = ["router"]

router = APIRouter(tags=["workspace"])


@dataclass(frozen=True)
class TableSchema:
    """A canonical table's description and its columns."""

    table: str
    description: str
    columns: list[service.CanonicalColumn]


@router.get("/status")
def status(ws: WorkspaceDep, access: ReaderDep) -> service.WorkspaceStatus:
    """Rows per canonical table (with rows quarantined, the last import) and imports per source."""
    log_read(ws, access, None, "query", "status")
    return service.workspace_status(ws)


@router.get("/quarantine")
def quarantine(
    ws: WorkspaceDep,
    paging: PagingDep,
    access: AdminDep,
    table: Annotated[str | None, Query(description="Only rows meant for this table.")] = None,
) -> Page[service.QuarantinedRow]:
    """Quarantined rows, newest first, with file, line and reason."""
    log_read(ws, access, paging, "search", "quarantine", table=table)
    return paging.page(service.quarantine(ws, table))


@router.get("/schema")
def schema(ws: WorkspaceDep, paging: PagingDep, access: ReaderDep) -> Page[service.CanonicalTable]:
    """The canonical tables."""
    log_read(ws, access, paging, "search", "schema")
    return paging.page(service.canonical_tables())


@router.get("/schema/{table}")
def table_schema(ws: WorkspaceDep, access: ReaderDep, table: str) -> TableSchema:
    """A canonical table's columns: type, key, required, accepted values, what it refers to."""
    description, columns = service.table_columns(table)
    log_read(ws, access, None, "open", f"schema:{table}")
    return TableSchema(table, description, columns)
