"""`GET /api/v1/activities...`: activities held, as `productops activity list|summary|onboarding|
retros -f json`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from productops.services import activities as service
from productops.web.auth import WorkspaceDep
from productops.web.paging import Page, PagingDep
from productops.web.params import Quarterly, Team
from productops.web.usage import ReaderDep, log_read

__all__ = ["router"]

router = APIRouter(prefix="/activities", tags=["improvement"])
Kind = Annotated[
    str | None, Query(description="Only this kind: workshop, training, retrospective, ...")
]


@router.get("")
def activities(
    ws: WorkspaceDep,
    paging: PagingDep,
    access: ReaderDep,
    team: Team = None,
    kind: Kind = None,
) -> Page[service.ActivityListed]:
    """Activities, newest first, with onboarding days for onboardings."""
    log_read(ws, access, paging, "search", "activities", team=team, activity_kind=kind)
    return paging.page(service.list_activities(ws, team, kind))


@router.get("/summary")
def summary(
    ws: WorkspaceDep,
    paging: PagingDep,
    access: ReaderDep,
    p: Quarterly,
) -> Page[service.ActivitySummary]:
    """Activities held per team and period, one field per kind."""
    log_read(ws, access, paging, "query", "activity.summary", team=p.team, grain=p.grain)
    found = service.activity_summary(ws, p)
    return paging.page(found)


@router.get("/onboarding")
def onboarding(
    ws: WorkspaceDep,
    paging: PagingDep,
    access: ReaderDep,
    p: Quarterly,
) -> Page[service.OnboardingTime]:
    """Days from start to productive of new members, per team and period."""
    log_read(ws, access, paging, "query", "activity.onboarding", team=p.team, grain=p.grain)
    found = service.onboarding_time(ws, p)
    return paging.page(found)


@router.get("/retros")
def retros(
    ws: WorkspaceDep,
    paging: PagingDep,
    access: ReaderDep,
    p: Quarterly,
) -> Page[service.Retrospectives]:
    """Retrospectives and process reviews held, bottlenecks named, actions agreed and done."""
    log_read(ws, access, paging, "query", "activity.retros", team=p.team, grain=p.grain)
    found = service.retrospectives(ws, p)
    return paging.page(found)
