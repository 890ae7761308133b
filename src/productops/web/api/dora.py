"""`GET /api/v1/dora/...`: DORA's four keys per team and period with performance bands, as
`productops dora frequency|lead-time|failure-rate|recovery -f json`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from productops.services import dora as service
from productops.web.auth import WorkspaceDep
from productops.web.paging import Page, PagingDep
from productops.web.params import AsOf, Monthly, utc
from productops.web.usage import ReaderDep, log_read

__all__ = ["router"]

router = APIRouter(prefix="/dora", tags=["flow"])
LinkHours = Annotated[
    float,
    Query(
        ge=0,
        le=720,
        description="An incident raised on a service is caused by its team's last production "
        "deployment at most this many hours before it.",
    ),
]
Bands = Annotated[
    int, Query(description="Performance bands of this DORA report (its year): 2021, 2023, 2024.")
]


@router.get("/frequency")
def frequency(
    ws: WorkspaceDep,
    paging: PagingDep,
    access: ReaderDep,
    p: Monthly,
    bands: Bands = 2024,
    as_of: AsOf = None,
) -> Page[service.DeploymentFrequency]:
    """Production deployments and deployment days per week (a running period is `partial`)."""
    log_read(ws, access, paging, "query", "dora.frequency", team=p.team, grain=p.grain, bands=bands)
    found = service.deployment_frequency(ws, p, service.report_year(bands), utc(as_of))
    return paging.page(found)


@router.get("/lead-time")
def lead_time(
    ws: WorkspaceDep,
    paging: PagingDep,
    access: ReaderDep,
    p: Monthly,
    bands: Bands = 2024,
) -> Page[service.ChangeLeadTime]:
    """Lead time for changes in hours (first commit to production), by stage."""
    log_read(ws, access, paging, "query", "dora.lead_time", team=p.team, grain=p.grain, bands=bands)
    found = service.change_lead_time(ws, p, service.report_year(bands))
    return paging.page(found)


@router.get("/failure-rate")
def failure_rate(
    ws: WorkspaceDep,
    paging: PagingDep,
    access: ReaderDep,
    p: Monthly,
    bands: Bands = 2024,
    link_hours: LinkHours = service.LINK_HOURS,
) -> Page[service.ChangeFailureRate]:
    """Change failure rate: production deployments that caused an incident."""
    log_read(
        ws, access, paging, "query", "dora.failure_rate", team=p.team, grain=p.grain, bands=bands
    )
    year = service.report_year(bands)
    found = service.change_failure_rate(ws, p, year, link_hours)
    return paging.page(found)


@router.get("/recovery")
def recovery(
    ws: WorkspaceDep,
    paging: PagingDep,
    access: ReaderDep,
    p: Monthly,
    bands: Bands = 2024,
    link_hours: LinkHours = service.LINK_HOURS,
) -> Page[service.RecoveryTime]:
    """Failed deployment recovery time in hours (incident opened to resolved)."""
    log_read(ws, access, paging, "query", "dora.recovery", team=p.team, grain=p.grain, bands=bands)
    year = service.report_year(bands)
    found = service.recovery_time(ws, p, year, link_hours)
    return paging.page(found)
