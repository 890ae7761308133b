"""`GET /api/v1/teams`: the organisation's teams."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from productops.services.teams import list_teams
from productops.web.auth import WorkspaceDep
from productops.web.paging import Page, PagingDep
from productops.web.usage import ReaderDep, log_read

__all__ = ["router"]

router = APIRouter(tags=["organisation"])


class TeamOut(BaseModel):
    """A team or group of teams; `parent_id` makes the tree."""

    id: str
    name: str
    parent_id: str | None
    focus_pillar: str | None


@router.get("/teams")
def teams(ws: WorkspaceDep, paging: PagingDep, access: ReaderDep) -> Page[TeamOut]:
    """Every team, by id."""
    log_read(ws, access, paging, "search", "teams")
    return paging.page([TeamOut.model_validate(t, from_attributes=True) for t in list_teams(ws)])
