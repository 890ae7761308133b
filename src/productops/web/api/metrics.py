"""`GET /api/v1/metrics...`: the metric catalog, as `productops metrics list|search|show|query
-f json`: list and search it, open a metric's definition, query a metric per period."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from productops.durations import Grain
from productops.registry.scorecard import TARGET_TABLES
from productops.services import catalog as service
from productops.web.auth import WorkspaceDep
from productops.web.paging import Page, PagingDep
from productops.web.params import Since, Until, maybe_utc
from productops.web.turns import ServedDep
from productops.web.usage import ReaderDep, log_read

__all__ = ["router"]

router = APIRouter(tags=["data"])
Week = Annotated[Grain, Query(description="The length of a period.")]


@router.get("/metrics")
def metrics(
    ws: WorkspaceDep,
    paging: PagingDep,
    access: ReaderDep,
    status: Annotated[
        str | None, Query(description="Only metrics with this status (draft, certified, ...).")
    ] = None,
) -> Page[service.MetricListed]:
    """Every metric in the catalog, by name."""
    log_read(ws, access, paging, "search", "metrics", status=status)
    return paging.page(service.list_metrics(ws, status))


@router.get("/metrics/search")
def search(
    ws: WorkspaceDep,
    paging: PagingDep,
    access: ReaderDep,
    text: Annotated[str, Query(min_length=1, description="Every word must match.")],
) -> Page[service.MetricFound]:
    """Metrics whose name, owner or description match every word of `text`, best first."""
    found = service.search_metrics(ws, text)
    log_read(ws, access, paging, "search", text, results=len(found))
    return paging.page(found)


@router.get("/metrics/{metric}")
def metric(
    ws: WorkspaceDep, access: ReaderDep, metric: str, grain: Week = "week"
) -> service.MetricShown:
    """A metric's definition, dimensions, where it is defined and its SQL per `grain`."""
    found = service.show_metric(ws, metric, grain)
    log_read(ws, access, None, "open", found.name)
    return found


@router.get("/metrics/{metric}/query")
def query(
    ws: WorkspaceDep,
    served: ServedDep,
    paging: PagingDep,
    access: ReaderDep,
    metric: str,
    by: Annotated[list[str], Query(description="Group by this dimension (repeatable).")] = [],  # noqa: B006
    grain: Week = "week",
    where: Annotated[
        list[str], Query(description="A filter, e.g. `plan != free` (repeatable).")
    ] = [],  # noqa: B006
    since: Since = None,
    until: Until = None,
) -> Page[dict[str, Any]]:
    """The metric per period (and `by` dimensions): one row per period and group, with the
    columns of `productops metrics query -f json` (`period_start`, the dimensions, `value`)."""
    key = ("metrics.query", metric, tuple(by), grain, tuple(where), since, until)
    found = served.remembered(  # a metric reads the canonical tables, not the targets
        ws,
        key,
        lambda w: service.query_metric(
            w,
            metric,
            by=by,
            grain=grain,
            where=where,
            since=maybe_utc(since),
            until=maybe_utc(until),
        ),
        TARGET_TABLES,
        access.actor.id,
    )
    log_read(ws, access, paging, "query", found.metric, by=by, grain=grain, where=where)
    return paging.page(found.rows)
