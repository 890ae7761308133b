"""`GET /api/v1/audit`: the audit trail, to admins only, as `productops audit -f json`."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from productops.services.audit import events
from productops.web.auth import WorkspaceDep
from productops.web.paging import Page, PagingDep
from productops.web.params import utc
from productops.web.usage import AdminDep, log_read

__all__ = ["router"]

router = APIRouter(tags=["audit"])


class AuditEventOut(BaseModel):
    """One write: when, who, what, on which object, before and after (secrets redacted)."""

    at: datetime
    actor: str
    action: str
    object: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    request_id: str | None


@router.get("/audit")
def audit(
    ws: WorkspaceDep,
    paging: PagingDep,
    access: AdminDep,
    user: Annotated[
        str | None,
        Query(
            description="An actor (cli:ana, token:ana-1), or a user name: them and their tokens."
        ),
    ] = None,
    object: Annotated[
        str | None, Query(description="A table (app_user) or one object (app_user:ben).")
    ] = None,
    since: Annotated[
        datetime | None, Query(description="Writes at or after this time (naive is UTC).")
    ] = None,
) -> Page[AuditEventOut]:
    """The audit trail, oldest first."""
    log_read(ws, access, paging, "search", "audit", user=user, object=object, since=since)
    found = events(ws, user=user, object=object, since=None if since is None else utc(since))
    return paging.page(found, partial(AuditEventOut.model_validate, from_attributes=True))
