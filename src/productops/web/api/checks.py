"""`POST /api/v1/checks/run`: run the workspace's declared data checks and reconciliations (as
`productops check run`), admins only."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from productops.services.checks import run_checks
from productops.services.users import Access
from productops.web.auth import ADMIN, WorkspaceDep
from productops.web.params import utc

__all__ = ["router"]

router = APIRouter(tags=["data"])


class CheckRunOut(BaseModel):
    """One check's result, and what happened to its incident (opened, still open, resolved)."""

    id: str
    kind: str
    target: str
    status: str
    observed: float | None
    summary: str
    incident: str
    failing_keys: list[str]


class Run(BaseModel):
    """Which checks (all if none named), on the data as of when."""

    only: list[str] | None = None
    as_of: datetime | None = Field(default=None, description="Default now.")


@router.post("/checks/run")
def run(
    ws: WorkspaceDep, access: Annotated[Access, Depends(ADMIN)], body: Run
) -> list[CheckRunOut]:
    """Run the checks, store each result and open or resolve incidents."""
    now = utc(None)
    runs = run_checks(ws, access.actor, utc(body.as_of) if body.as_of else now, now, body.only)
    return [CheckRunOut.model_validate(r, from_attributes=True) for r in runs]
