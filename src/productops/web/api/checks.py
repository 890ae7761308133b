"""Data quality under `/api/v1`: the checks' stored results, a check's latest result with the
keys that differ, and the incidents they opened (as `productops check history|show|incidents
-f json`); and `POST /api/v1/checks/run`, which runs the declared checks and reconciliations (as
`productops check`), admins only."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from productops.services import checks as service
from productops.services.checks import run_checks
from productops.services.users import Access
from productops.web.auth import ADMIN, WorkspaceDep
from productops.web.paging import Page, PagingDep
from productops.web.params import utc
from productops.web.usage import ReaderDep, log_read

__all__ = ["router"]

router = APIRouter(tags=["data"])


class CheckRunOut(BaseModel):
    """One check's result, and what happened to its incident (opened, still open, resolved)."""

    id: str
    kind: str
    target: str
    status: str
    observed: float | None
    summary: str
    incident: str
    failing_keys: list[str]


@router.get("/checks/history")
def history(
    ws: WorkspaceDep,
    paging: PagingDep,
    access: ReaderDep,
    check: Annotated[str | None, Query(description="Only this check's results.")] = None,
) -> Page[service.CheckResult]:
    """Stored results of the checks, newest first."""
    log_read(ws, access, paging, "search", "check.history", check=check)
    return paging.page(service.check_results(ws, check))


@router.get("/checks/{check}")
def show(ws: WorkspaceDep, access: ReaderDep, check: str) -> service.CheckShown:
    """A check's latest result and the keys that differ (reconciliations: with both values)."""
    found = service.show_check(ws, check)
    log_read(ws, access, None, "open", found.check.id)
    return found


@router.get("/incidents")
def incidents(
    ws: WorkspaceDep,
    paging: PagingDep,
    access: ReaderDep,
    status: Annotated[
        Literal["open", "resolved"] | None, Query(description="Only open or resolved ones.")
    ] = None,
) -> Page[service.Incident]:
    """Data incidents opened by failing checks: open ones first."""
    log_read(ws, access, paging, "search", "incidents", status=status)
    return paging.page(service.incidents(ws, status))


class Run(BaseModel):
    """Which checks (all if none named), on the data as of when."""

    only: list[str] | None = None
    as_of: datetime | None = Field(default=None, description="Default now.")


@router.post("/checks/run")
def run(
    ws: WorkspaceDep, access: Annotated[Access, Depends(ADMIN)], body: Run
) -> list[CheckRunOut]:
    """Run the checks, store each result and open or resolve incidents."""
    now = utc(None)
    runs = run_checks(ws, access.actor, utc(body.as_of) if body.as_of else now, now, body.only)
    return [CheckRunOut.model_validate(r, from_attributes=True) for r in runs]
