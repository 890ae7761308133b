"""`GET /api/v1/feedback/...`: customer insight reads, as `productops feedback sentiment|trends|
spikes|demand|links|roadmap -f json`. Reading changes nothing: the sentiment route shows what
was read so far (the command reads unread feedback first, a write)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from productops.durations import Grain
from productops.services import insights as service
from productops.web.auth import WorkspaceDep
from productops.web.paging import Page, PagingDep
from productops.web.params import Quarterly, Since, Until, maybe_utc
from productops.web.usage import ReaderDep, log_read

__all__ = ["router"]

router = APIRouter(prefix="/feedback", tags=["customer"])


@router.get("/sentiment")
def sentiment(
    ws: WorkspaceDep, paging: PagingDep, access: ReaderDep
) -> Page[service.ThemeSentiment]:
    """Sentiment per theme of the feedback read so far."""
    log_read(ws, access, paging, "query", "feedback.sentiment")
    return paging.page(service.sentiment(ws))


@router.get("/trends")
def trends(
    ws: WorkspaceDep,
    paging: PagingDep,
    access: ReaderDep,
    grain: Annotated[Grain, Query(description="The length of a period.")] = "week",
    theme: Annotated[str | None, Query(description="Only this theme's id.")] = None,
    since: Since = None,
    until: Until = None,
) -> Page[service.ThemeTrend]:
    """Feedback per theme and period: items, mean sentiment, complaints and requests."""
    log_read(ws, access, paging, "query", "feedback.trends", grain=grain, theme=theme)
    found = service.trends(ws, grain, theme, maybe_utc(since), maybe_utc(until))
    return paging.page(found)


@router.get("/spikes")
def spikes(
    ws: WorkspaceDep,
    paging: PagingDep,
    access: ReaderDep,
    weeks: Annotated[int, Query(ge=1, le=104, description="Trailing weeks of the baseline.")] = 8,
    k: Annotated[float, Query(gt=0, le=100, description="Robust deviations above the median.")] = 5,
    min_count: Annotated[
        int, Query(ge=1, le=100_000, description="Fewest items a spike week has.")
    ] = 5,
) -> Page[service.ThemeSpike]:
    """Weeks in which a theme's feedback jumped far above its own trailing baseline."""
    log_read(ws, access, paging, "query", "feedback.spikes", weeks=weeks, k=k, min_count=min_count)
    return paging.page(service.spikes(ws, weeks, k, min_count))


@router.get("/demand/themes")
def theme_demand(
    ws: WorkspaceDep,
    paging: PagingDep,
    access: ReaderDep,
    grain: Annotated[
        Grain | None, Query(description="Per theme and period of this length (default: none).")
    ] = None,
) -> Page[service.DemandByTheme]:
    """Who asks per theme: requesters, accounts, ARR and churned ARR (as `--by theme`)."""
    log_read(ws, access, paging, "query", "feedback.demand", by="theme", grain=grain)
    return paging.page(service.theme_demand(ws, grain))


@router.get("/demand/segments")
def segment_demand(
    ws: WorkspaceDep, paging: PagingDep, access: ReaderDep
) -> Page[service.DemandBySegment]:
    """Who asks per theme and account segment (as `--by segment`)."""
    log_read(ws, access, paging, "query", "feedback.demand", by="segment")
    return paging.page(service.segment_demand(ws))


@router.get("/demand/items")
def item_demand(
    ws: WorkspaceDep,
    paging: PagingDep,
    access: ReaderDep,
    suggested: Annotated[bool, Query(description="Count suggested links too.")] = False,
) -> Page[service.DemandByItem]:
    """Who asks per work item, through confirmed links (as `--by item`)."""
    log_read(ws, access, paging, "query", "feedback.demand", by="item", suggested=suggested)
    return paging.page(service.item_demand(ws, suggested))


@router.get("/links")
def links(
    ws: WorkspaceDep,
    paging: PagingDep,
    access: ReaderDep,
    state: Annotated[
        Literal["suggested", "confirmed", "rejected"] | None, Query(description="Only this state.")
    ] = None,
) -> Page[service.FeedbackLink]:
    """Links from feedback to work items, best first."""
    log_read(ws, access, paging, "search", "feedback.links", state=state)
    return paging.page(service.feedback_links(ws, state))


@router.get("/roadmap")
def roadmap(
    ws: WorkspaceDep,
    access: ReaderDep,
    p: Quarterly,
) -> service.Roadmap:
    """Feedback linked to and delivered on the roadmap, time to insight, time-to-market of
    insight-driven items and satisfaction around their releases, per team and period."""
    log_read(ws, access, None, "query", "feedback.roadmap", team=p.team, grain=p.grain)
    return service.roadmap(ws, p)
