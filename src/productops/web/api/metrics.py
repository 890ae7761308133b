"""`GET /api/v1/metrics`: the metric catalog, as `productops metrics list -f json`."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel

from productops.services.catalog import workspace_catalog
from productops.web.auth import WorkspaceDep
from productops.web.paging import Page, PagingDep
from productops.web.usage import ReaderDep, log_read

__all__ = ["router"]

router = APIRouter(tags=["data"])


class MetricOut(BaseModel):
    """A metric of the catalog; `origin`: builtin or defined in the workspace."""

    name: str
    type: str
    unit: str
    direction: str
    status: str
    owner: str
    description: str
    origin: Literal["builtin", "workspace"]


@router.get("/metrics")
def metrics(
    ws: WorkspaceDep,
    paging: PagingDep,
    access: ReaderDep,
    status: Annotated[
        str | None, Query(description="Only metrics with this status (draft, certified, ...).")
    ] = None,
) -> Page[MetricOut]:
    """Every metric in the catalog, by name."""
    log_read(ws, access, paging, "search", "metrics", status=status)
    catalog = workspace_catalog(ws)
    found = [
        MetricOut(
            **catalog.metrics[name].model_dump(include=set(MetricOut.model_fields) - {"origin"}),
            origin="builtin" if catalog.origins[f"metric:{name}"].builtin else "workspace",
        )
        for name in sorted(catalog.metrics)
    ]
    return paging.page([m for m in found if status is None or m.status == status])
