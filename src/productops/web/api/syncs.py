"""Syncs under `/api/v1/syncs`: start one of a connected source in the background (as
`productops sync SOURCE`; admins, audited as `sync.start`), one at a time per source, and follow
them: running, succeeded or failed, rows per table, cursors, the error (`web.syncs`)."""

from __future__ import annotations

import threading
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from productops.services.users import Access
from productops.web.auth import ADMIN, WorkspaceDep
from productops.web.paging import Page, PagingDep
from productops.web.syncs import SyncRun, Syncs

__all__ = ["router"]

router = APIRouter(tags=["connectors"])
Admin = Annotated[Access, Depends(ADMIN)]
_made = threading.Lock()


def syncs(request: Request) -> Syncs:
    """The app's syncs, made with its first sync request."""
    state = request.app.state
    with _made:
        if not hasattr(state, "syncs"):
            state.syncs = Syncs(state.served.root, state.served.changed)
    found: Syncs = state.syncs
    return found


SyncsDep = Annotated[Syncs, Depends(syncs)]


class NewSync(BaseModel):
    """The connected source to pull from its last cursor."""

    source: str = Field(min_length=1, description="jira, github, git, linear, zendesk, ...")


@router.post("/syncs")
def start(ws: WorkspaceDep, access: Admin, runs: SyncsDep, body: NewSync) -> SyncRun:
    """Start a sync; answers at once with the run (`running`). 409 while one of the same
    source runs; 400 for a source not connected."""
    return runs.start(ws, access.actor, body.source)


@router.get("/syncs")
def list_syncs(access: Admin, paging: PagingDep, runs: SyncsDep) -> Page[SyncRun]:
    """The syncs this server started since it started, newest first."""
    return paging.page(runs.runs())


@router.get("/syncs/{sync}")
def sync(access: Admin, runs: SyncsDep, sync: str) -> SyncRun:
    """One sync: its status, rows per table, cursors and error."""
    return runs.run(sync)
