"""Improvement initiatives' writes under `/api/v1/initiatives` (as `productops initiative
start|advance`): a member writes only its teams' initiatives; a wrong stage is a 409."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from productops.registry.improvement import load_initiative
from productops.services.initiatives import advance_initiative, start_initiative
from productops.services.users import Access, authorize
from productops.web.auth import TEAM_WRITE, WorkspaceDep
from productops.web.params import utc

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
