"""`GET /api/v1/teams` and `/api/v1/people`: the organisation's teams, and its people (as
`productops people -f json`: no names or e-mail addresses)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from productops.services.teams import Person, list_people, list_teams
from productops.web.auth import WorkspaceDep
from productops.web.paging import Page, PagingDep
from productops.web.params import Team
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


@router.get("/people")
def people(
    ws: WorkspaceDep, paging: PagingDep, access: ReaderDep, team: Team = None
) -> Page[Person]:
    """People: id, team, role and when they joined, by team and id."""
    log_read(ws, access, paging, "search", "people", team=team)
    return paging.page(list_people(ws, team))
