"""`GET /api/v1/flow/...`: delivery flow, as `productops flow ... -f json`: each work item, and
per team and period lead and cycle time, throughput, WIP, aging, time in status, bottlenecks,
flow efficiency, cross-team dependencies, workflow conformance, time-to-market and forecasts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from productops.registry.scorecard import TARGET_TABLES
from productops.services import flow as service
from productops.web.auth import WorkspaceDep
from productops.web.paging import Page, PagingDep
from productops.web.params import AsOf, Monthly, Quarterly, Team, Weekly, utc
from productops.web.turns import ServedDep
from productops.web.usage import ReaderDep, log_read

__all__ = ["router"]

router = APIRouter(prefix="/flow", tags=["flow"])


@router.get("/items")
def items(
    ws: WorkspaceDep,
    served: ServedDep,
    paging: PagingDep,
    access: ReaderDep,
    team: Team = None,
    as_of: AsOf = None,
) -> Page[service.FlowItem]:
    """Each work item: created, resolved, lead and cycle time, status changes, days per status;
    by team, creation time and id."""
    log_read(ws, access, paging, "query", "flow.items", team=team, as_of=as_of)
    key = ("flow.items", team, as_of)  # as of now: remembered a short while
    found = served.remembered(
        ws, key, lambda w: service.flow_items(w, utc(as_of), team), TARGET_TABLES, access.actor.id
    )
    return paging.page(found)


@router.get("/lead-time")
def lead_time(
    ws: WorkspaceDep,
    paging: PagingDep,
    access: ReaderDep,
    p: Monthly,
) -> Page[service.Percentiles]:
    """Lead time percentiles in days (created to done) per team and period."""
    log_read(ws, access, paging, "query", "flow.lead_time", team=p.team, grain=p.grain)
    return paging.page(service.lead_time(ws, p))


@router.get("/cycle-time")
def cycle_time(
    ws: WorkspaceDep,
    paging: PagingDep,
    access: ReaderDep,
    p: Monthly,
    as_of: AsOf = None,
) -> Page[service.Percentiles]:
    """Cycle time percentiles in days (time in in-progress statuses) per team and period."""
    log_read(ws, access, paging, "query", "flow.cycle_time", team=p.team, grain=p.grain)
    found = service.cycle_time(ws, p, utc(as_of))
    return paging.page(found)


@router.get("/throughput")
def throughput(
    ws: WorkspaceDep,
    paging: PagingDep,
    access: ReaderDep,
    p: Weekly,
    as_of: AsOf = None,
) -> Page[service.Throughput]:
    """Items done per team and period, and per week (a period still running is `partial`)."""
    log_read(ws, access, paging, "query", "flow.throughput", team=p.team, grain=p.grain)
    found = service.throughput(ws, p, utc(as_of))
    return paging.page(found)


@router.get("/wip")
def wip(
    ws: WorkspaceDep,
    paging: PagingDep,
    access: ReaderDep,
    p: Weekly,
) -> Page[service.Wip]:
    """Work in progress at the end of each period, per team."""
    log_read(ws, access, paging, "query", "flow.wip", team=p.team, grain=p.grain)
    return paging.page(service.wip(ws, p))


@router.get("/aging")
def aging(
    ws: WorkspaceDep, paging: PagingDep, access: ReaderDep, team: Team = None, as_of: AsOf = None
) -> Page[service.Aging]:
    """Items in progress, their age against the team's cycle-time percentiles."""
    log_read(ws, access, paging, "query", "flow.aging", team=team, as_of=as_of)
    return paging.page(service.aging(ws, utc(as_of), team))


@router.get("/time-in-status")
def time_in_status(
    ws: WorkspaceDep,
    paging: PagingDep,
    access: ReaderDep,
    p: Monthly,
    as_of: AsOf = None,
) -> Page[service.StatusShare]:
    """Days in each in-progress status and its share of cycle time, per team and period."""
    log_read(ws, access, paging, "query", "flow.time_in_status", team=p.team, grain=p.grain)
    found = service.time_in_status(ws, p, utc(as_of))
    return paging.page(found)


@router.get("/bottleneck")
def bottleneck(
    ws: WorkspaceDep,
    paging: PagingDep,
    access: ReaderDep,
    p: Monthly,
    as_of: AsOf = None,
) -> Page[service.Bottleneck]:
    """The wait status holding the most waiting time, per team and period, and its trend."""
    log_read(ws, access, paging, "query", "flow.bottleneck", team=p.team, grain=p.grain)
    found = service.bottleneck(ws, p, utc(as_of))
    return paging.page(found)


@router.get("/efficiency")
def efficiency(
    ws: WorkspaceDep,
    paging: PagingDep,
    access: ReaderDep,
    p: Monthly,
    as_of: AsOf = None,
) -> Page[service.Efficiency]:
    """Flow efficiency: active time over cycle time, per team and period."""
    log_read(ws, access, paging, "query", "flow.efficiency", team=p.team, grain=p.grain)
    found = service.efficiency(ws, p, utc(as_of))
    return paging.page(found)


@router.get("/dependencies")
def dependencies(
    ws: WorkspaceDep,
    paging: PagingDep,
    access: ReaderDep,
    p: Monthly,
    as_of: AsOf = None,
) -> Page[service.DependencyDelay]:
    """Items delayed by other teams' items and days blocked, per blocked team and period."""
    log_read(ws, access, paging, "query", "flow.dependencies", team=p.team, grain=p.grain)
    found = service.dependencies(ws, p, utc(as_of))
    return paging.page(found)


@router.get("/blocking-pairs")
def blocking_pairs(
    ws: WorkspaceDep,
    paging: PagingDep,
    access: ReaderDep,
    team: Annotated[str | None, Query(description="Only pairs where this team is blocked.")] = None,
    as_of: AsOf = None,
) -> Page[service.BlockingPair]:
    """Team pairs ranked by the days one team's items blocked the other's."""
    log_read(ws, access, paging, "query", "flow.blocking_pairs", team=team, as_of=as_of)
    return paging.page(service.blocking_pairs(ws, utc(as_of), team))


@router.get("/conformance")
def conformance(
    ws: WorkspaceDep,
    paging: PagingDep,
    access: ReaderDep,
    p: Monthly,
) -> Page[service.Conformance]:
    """Share of finished items that followed the standard workflow, per team and period."""
    log_read(ws, access, paging, "query", "flow.conformance", team=p.team, grain=p.grain)
    return paging.page(service.conformance(ws, p))


@router.get("/deviations")
def deviations(
    ws: WorkspaceDep, paging: PagingDep, access: ReaderDep, team: Team = None
) -> Page[service.Deviation]:
    """The most common deviations from the standard workflow."""
    log_read(ws, access, paging, "query", "flow.deviations", team=team)
    return paging.page(service.deviations(ws, team))


@router.get("/time-to-market")
def time_to_market(
    ws: WorkspaceDep,
    paging: PagingDep,
    access: ReaderDep,
    p: Quarterly,
) -> Page[service.TimeToMarket]:
    """Days from creation to release of features, and of those addressing customer insights."""
    log_read(ws, access, paging, "query", "flow.time_to_market", team=p.team, grain=p.grain)
    found = service.time_to_market(ws, p)
    return paging.page(found)


@router.get("/forecast", response_model_exclude_none=True)
def forecast(
    ws: WorkspaceDep,
    access: ReaderDep,
    team: Annotated[str, Query(description="The team to forecast.")],
    items: Annotated[
        int | None, Query(ge=1, le=100_000, description="When will this many more be done?")
    ] = None,
    days: Annotated[
        int | None, Query(ge=1, le=3650, description="How many items in this many days?")
    ] = None,
    history: Annotated[
        int, Query(ge=1, le=3650, description="Days of daily throughput to draw from.")
    ] = 90,
    as_of: AsOf = None,
) -> service.FlowForecast:
    """Monte Carlo forecast (50/85/95%): give exactly one of `items` or `days`; each line has
    `days` (when) or `items` (how many), as the command's rows."""
    log_read(ws, access, None, "query", "flow.forecast", team=team, items=items, days=days)
    return service.forecast(ws, team, utc(as_of), items=items, days=days, history=history)
