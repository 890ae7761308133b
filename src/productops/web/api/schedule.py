"""`GET /api/v1/schedule` and `/api/v1/schedule/runs`: the scheduled jobs and their runs, to
admins only, as `productops schedule list|history -f json`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from productops.services.schedule import job_statuses, runs
from productops.web.auth import WorkspaceDep
from productops.web.paging import Page, PagingDep
from productops.web.params import utc
from productops.web.usage import AdminDep, log_read

__all__ = ["router"]

router = APIRouter(tags=["schedule"])


class JobOut(BaseModel):
    """A scheduled job: its cron (UTC), whether it is due now and its next slot, its last run,
    and its failures since its last success."""

    job: str
    cron: str | None
    due: bool
    next_due: datetime | None
    last_started_at: datetime | None
    last_outcome: str | None
    last_error: str | None
    failures_in_a_row: int


class RunOut(BaseModel):
    """One run of a job: its slot, start and end, outcome (none while it runs), error, and
    what it did."""

    job: str
    due_at: datetime
    started_at: datetime
    ended_at: datetime | None
    outcome: str | None
    error: str | None
    summary: dict[str, Any] | None


@router.get("/schedule")
def schedule(ws: WorkspaceDep, paging: PagingDep, access: AdminDep) -> Page[JobOut]:
    """Every scheduled job, in the order a pass runs them."""
    log_read(ws, access, paging, "search", "schedule")
    found = job_statuses(ws, datetime.now(UTC))
    return paging.page([JobOut.model_validate(s, from_attributes=True) for s in found])


@router.get("/schedule/runs")
def schedule_runs(
    ws: WorkspaceDep,
    paging: PagingDep,
    access: AdminDep,
    job: Annotated[str | None, Query(description="Only this job, e.g. sync.jira.")] = None,
    since: Annotated[
        datetime | None, Query(description="Runs started at or after this time (naive is UTC).")
    ] = None,
) -> Page[RunOut]:
    """The recorded runs, newest first."""
    log_read(ws, access, paging, "search", "schedule_run", job=job, since=since)
    found = runs(ws, job, None if since is None else utc(since))
    return paging.page([RunOut.model_validate(r, from_attributes=True) for r in found])
