"""Improvement initiatives under `/api/v1/initiatives`: their reads (as `productops initiative
list|show -f json`) and writes (as `productops initiative start|advance`): a member writes only
its teams' initiatives; a wrong stage is a 409."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from productops.registry.improvement import load_initiative
from productops.services.initiatives import (
    InitiativeListed,
    advance_initiative,
    list_initiatives,
    show_initiative,
    start_initiative,
)
from productops.services.users import Access, authorize
from productops.web.auth import TEAM_WRITE, WorkspaceDep
from productops.web.paging import Page, PagingDep
from productops.web.params import Team, utc
from productops.web.usage import ReaderDep, log_read

__all__ = ["router"]

router = APIRouter(tags=["improvement"])
Writer = Annotated[Access, Depends(TEAM_WRITE)]


class InitiativeOut(BaseModel):
    """An initiative: its stage in the cycle, the criterion it aims at, baseline and after."""

    id: str
    team_id: str | None
    title: str
    stage: str | None
    target_metric: str | None
    baseline: float | None
    baseline_period: str | None
    after: float | None
    started_at: datetime | None
    stage_at: datetime | None
    ended_at: datetime | None


class StartedOut(BaseModel):
    """An initiative just started, and why it has no baseline, if it has none."""

    initiative: InitiativeOut
    no_baseline_because: str | None


class NewInitiative(BaseModel):
    """An initiative for a team, aimed at a success criterion."""

    team_id: str
    title: str = Field(min_length=1)
    criterion: str
    at: datetime | None = Field(default=None, description="The baseline's moment; default now.")


class Advance(BaseModel):
    """The next stage (`to`, if given, must be it)."""

    to: str | None = None
    at: datetime | None = Field(default=None, description="Default now.")


@router.get("/initiatives")
def initiatives(
    ws: WorkspaceDep, paging: PagingDep, access: ReaderDep, team: Team = None
) -> Page[InitiativeListed]:
    """Initiatives, newest first."""
    log_read(ws, access, paging, "search", "initiatives", team=team)
    return paging.page(list_initiatives(ws, team))


@router.get("/initiatives/{initiative}")
def initiative(ws: WorkspaceDep, access: ReaderDep, initiative: str) -> InitiativeListed:
    """One initiative (its id or the part after `initiative-`): stage, criterion, baseline and
    after-value."""
    found = show_initiative(ws, initiative)
    log_read(ws, access, None, "open", found.id)
    return found


@router.post("/initiatives")
def start(ws: WorkspaceDep, access: Writer, body: NewInitiative) -> StartedOut:
    """Start an initiative at the cycle's first stage, its criterion's value the baseline."""
    authorize(access, "write", body.team_id)
    row, why = start_initiative(
        ws, access.actor, body.team_id, body.title, body.criterion, utc(body.at)
    )
    return StartedOut(initiative=InitiativeOut.model_validate(row), no_baseline_because=why)


@router.post("/initiatives/{initiative}/advance")
def advance(ws: WorkspaceDep, access: Writer, initiative: str, body: Advance) -> InitiativeOut:
    """Move the initiative to its next stage; at the last its after-value is measured."""
    found = load_initiative(ws.store, initiative)
    authorize(access, "write", found["team_id"])
    row = advance_initiative(ws, access.actor, found["id"], body.to, utc(body.at))
    return InitiativeOut.model_validate(row)
