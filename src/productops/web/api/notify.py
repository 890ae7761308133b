"""Notifications under `/api/v1/notify` (as `productops notify`): the outbox, to admins only
(`?status=dead` for messages that failed for good, with why), sending a dead message again
(admins), and a user's mutes, which a user sets for themselves and an admin for anyone."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from productops.services.notify import MUTE_KINDS, mute, outbox, requeue, unmute
from productops.services.users import Access
from productops.web.auth import ADMIN, TEAM_WRITE, WorkspaceDep
from productops.web.paging import Page, PagingDep
from productops.web.usage import AdminDep, log_read

__all__ = ["router"]

router = APIRouter(tags=["notify"])


class OutboxEntryOut(BaseModel):
    """A queued message (its content left out): where it goes, its status and its last error."""

    id: str
    idempotency_key: str
    channel: str
    recipient: str | None
    kind: str
    subject: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


class MuteIn(BaseModel):
    """Mute (or unmute) a kind of notification: * (everything), digest, or an alert kind."""

    kind: str = Field(default="*", description=f"One of {', '.join(MUTE_KINDS)}.")
    muted: bool = True


class MutesOut(BaseModel):
    """The kinds the user has muted."""

    user: str
    muted: list[str]


@router.get("/notify/outbox")
def list_outbox(
    ws: WorkspaceDep,
    paging: PagingDep,
    access: AdminDep,
    status: Annotated[
        Literal["pending", "sending", "sent", "dead"] | None,
        Query(description="Only messages in this status; dead: failed for good."),
    ] = None,
) -> Page[OutboxEntryOut]:
    """The outbox, newest first."""
    log_read(ws, access, paging, "search", "outbox", status=status)
    found = outbox(ws, status, limit=100_000)
    return paging.page([OutboxEntryOut.model_validate(e, from_attributes=True) for e in found])


@router.post("/notify/outbox/{message}/requeue")
def requeue_message(
    ws: WorkspaceDep, access: Annotated[Access, Depends(ADMIN)], message: str
) -> OutboxEntryOut:
    """Send a dead message again, once its channel is mended: pending from now, its tries
    counted afresh (409 if it is not dead)."""
    return OutboxEntryOut.model_validate(requeue(ws, access, message), from_attributes=True)


@router.put("/notify/mutes/{user}")
def set_mute(
    ws: WorkspaceDep, access: Annotated[Access, Depends(TEAM_WRITE)], user: str, body: MuteIn
) -> MutesOut:
    """Mute or unmute a kind of notification for `user`: yourself, or anyone as an admin."""
    change = mute if body.muted else unmute
    return MutesOut(user=user, muted=change(ws, access, user, body.kind))
