"""Nudges under `/api/v1/nudges`: the list (as `productops nudge list -f json`) and the moves
(as `productops nudge accept|dismiss|done`): a member moves only its teams' nudges; a move the
nudge's status does not allow is a 409."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from productops.registry.improvement import load_nudge
from productops.services.nudges import NudgeListed, accept_nudge, list_nudges, move_nudge
from productops.services.users import Access, authorize
from productops.web.auth import TEAM_WRITE, WorkspaceDep
from productops.web.paging import Page, PagingDep
from productops.web.params import Team, utc
from productops.web.usage import ReaderDep, log_read
from productops.workspace import Workspace

__all__ = ["router"]

router = APIRouter(tags=["improvement"])
Writer = Annotated[Access, Depends(TEAM_WRITE)]


@router.get("/nudges")
def nudges(
    ws: WorkspaceDep,
    paging: PagingDep,
    access: ReaderDep,
    team: Team = None,
    status: Annotated[
        Literal["offered", "accepted", "dismissed", "done"] | None,
        Query(description="Only nudges in this status."),
    ] = None,
) -> Page[NudgeListed]:
    """Nudges, newest first."""
    log_read(ws, access, paging, "search", "nudges", team=team, status=status)
    return paging.page(list_nudges(ws, team, status))


class NudgeOut(BaseModel):
    """A nudge after the move (`readiness` as offered, with when it was accepted)."""

    id: str
    team_id: str | None
    rule: str
    criterion: str | None
    status: str | None
    status_at: datetime | None
    readiness: dict[str, Any] | None
    baseline: float | None
    reason: str | None
    outcome: str | None


class Move(BaseModel):
    """When the move happens."""

    at: datetime | None = Field(default=None, description="Default now.")


class Dismissal(Move):
    """Why the nudge is dismissed."""

    reason: str = Field(min_length=1)


class Done(Move):
    """What came of it."""

    outcome: str | None = None


def _nudge(ws: Workspace, access: Access, ref: str) -> str:
    """The id of nudge `ref`, once `access` may write for its team."""
    found = load_nudge(ws.store, ref)
    authorize(access, "write", found["team_id"])
    return str(found["id"])


@router.post("/nudges/{nudge}/accept")
def accept(ws: WorkspaceDep, access: Writer, nudge: str, body: Move) -> NudgeOut:
    """Accept an offered nudge; its criterion's current value becomes the baseline."""
    row = accept_nudge(ws, access.actor, _nudge(ws, access, nudge), utc(body.at))
    return NudgeOut.model_validate(row)


@router.post("/nudges/{nudge}/dismiss")
def dismiss(ws: WorkspaceDep, access: Writer, nudge: str, body: Dismissal) -> NudgeOut:
    """Dismiss an offered or accepted nudge, saying why."""
    ident = _nudge(ws, access, nudge)
    row = move_nudge(ws, access.actor, ident, "dismissed", utc(body.at), reason=body.reason.strip())
    return NudgeOut.model_validate(row)


@router.post("/nudges/{nudge}/done")
def done(ws: WorkspaceDep, access: Writer, nudge: str, body: Done) -> NudgeOut:
    """Mark an accepted nudge done."""
    ident = _nudge(ws, access, nudge)
    row = move_nudge(ws, access.actor, ident, "done", utc(body.at), outcome=body.outcome)
    return NudgeOut.model_validate(row)
