"""Feedback links' writes: `PUT /api/v1/feedback/{feedback}/links/{item}` confirms or
rejects that a piece of feedback asks for a work item (as `productops feedback link`); a member
writes only links to its teams' work items."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from productops.registry.feedback_analysis import item_team
from productops.services.feedback import set_link
from productops.services.users import Access, authorize
from productops.web.auth import TEAM_WRITE, WorkspaceDep

__all__ = ["router"]

router = APIRouter(tags=["customer"])


class LinkOut(BaseModel):
    """A link as set: the feedback, the work item, and its state."""

    feedback_id: str
    work_item_id: str
    state: str


class LinkState(BaseModel):
    """Confirm or reject the link; `importance` 0 (none) to 3 (critical)."""

    state: Literal["confirmed", "rejected"]
    importance: int | None = Field(default=None, ge=0, le=3)


@router.put("/feedback/{feedback}/links/{item}")
def link(
    ws: WorkspaceDep,
    access: Annotated[Access, Depends(TEAM_WRITE)],
    feedback: str,
    item: str,
    body: LinkState,
) -> LinkOut:
    """Confirm or reject a link, creating it if it was never suggested."""
    authorize(access, "write", item_team(ws.store, item))
    made = set_link(ws, access.actor, feedback, item, body.state, body.importance)
    return LinkOut(feedback_id=made.feedback_id, work_item_id=made.work_item_id, state=made.state)
