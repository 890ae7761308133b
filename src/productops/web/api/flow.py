"""`GET /api/v1/flow/items`: each work item's flow, as `productops flow items -f json`."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from productops.registry.scorecard import TARGET_TABLES
from productops.services.flow import flow_items
from productops.web.auth import WorkspaceDep
from productops.web.paging import Page, PagingDep
from productops.web.params import AsOf, utc
from productops.web.turns import ServedDep
from productops.web.usage import ReaderDep, log_read

__all__ = ["router"]

router = APIRouter(prefix="/flow", tags=["flow"])


class FlowItemOut(BaseModel):
    """One work item: created, resolved, lead and cycle time, status changes, days per status."""

    work_item_id: str
    team_id: str | None
    created_at: datetime | None
    resolved_at: datetime | None
    lead_time_days: float | None
    cycle_time_days: float | None
    status_changes: int | None
    time_in_status: dict[str, float]


@router.get("/items")
def items(
    ws: WorkspaceDep,
    served: ServedDep,
    paging: PagingDep,
    access: ReaderDep,
    team: Annotated[str | None, Query(description="Only this team's items.")] = None,
    as_of: AsOf = None,
) -> Page[FlowItemOut]:
    """Each work item, by team, creation time and id."""
    log_read(ws, access, paging, "query", "flow.items", team=team, as_of=as_of)
    key = ("flow.items", team, as_of)
    found = served.remembered(key, lambda: flow_items(ws, utc(as_of), team), TARGET_TABLES)
    return paging.page(found, partial(FlowItemOut.model_validate, from_attributes=True))
