"""`GET /api/v1/scorecard...`: the success criteria per team and period, the criteria in use and
the maturity grid, as `productops scorecard [criteria|maturity] -f json`; reading keeps no
snapshots or readings (the command line's `scorecard` and `scorecard maturity` do)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from productops.durations import Grain
from productops.errors import UsageError
from productops.ops import criteria as crit
from productops.ops.scorecard import criteria_in_use, latest_complete, period_start, periods_ending
from productops.registry.scorecard import TARGET_TABLES
from productops.services.scorecard import (
    CriterionListed,
    MaturityRow,
    aimed,
    list_criteria,
    maturity,
    values,
)
from productops.web.auth import WorkspaceDep
from productops.web.paging import Page, PagingDep
from productops.web.params import AsOf, utc
from productops.web.turns import ServedDep
from productops.web.usage import ReaderDep, log_read

__all__ = ["router"]

router = APIRouter(tags=["scorecard"])


class ScoreOut(BaseModel):
    """One criterion for one team (or the organisation) and period (docs/scorecard.md)."""

    criterion: str
    name: str | None
    pillar: str
    team_id: str
    period_start: datetime
    value: float | None
    unit: str
    target: float | None
    previous: float | None
    trend: str | None
    met: bool | None
    reason: str | None


@router.get("/scorecard")
def scorecard(
    ws: WorkspaceDep,
    served: ServedDep,
    paging: PagingDep,
    access: ReaderDep,
    team: Annotated[
        str | None, Query(description=f"Only this team (or {crit.ORG}, the organisation).")
    ] = None,
    period: Annotated[
        date | None,
        Query(description="A date in the (last) period; default the latest complete one."),
    ] = None,
    grain: Annotated[Grain, Query(description="The length of a period.")] = "quarter",
    periods: Annotated[int, Query(ge=1, le=24, description="Periods to show.")] = 1,
    as_of: AsOf = None,
) -> Page[ScoreOut]:
    """Each criterion's value, target, trend and whether it is met, per team and period."""
    log_read(ws, access, paging, "query", "scorecard", team=team, period=period, grain=grain)
    now = utc(as_of)
    starts = periods_ending(_last(period, grain, now), grain, periods)
    key = ("scorecard", tuple(starts), grain, as_of)  # as of now: remembered a short while
    costly = served.remembered(
        ws, key, lambda w: values(w, starts, grain, now), TARGET_TABLES, access.actor.id
    )
    if team is not None and team not in {s.team_id for s in costly}:
        raise UsageError(f"team {team!r}: not a product team (or {crit.ORG})")
    names = {c.id: c.name for c in criteria_in_use(custom=ws.config.scorecard.custom)}
    page = paging.page([s for s in costly if team is None or s.team_id == team])
    return Page[ScoreOut](
        items=[  # only this page's rows get their targets, as they are now, and are converted
            ScoreOut.model_validate({**vars(s), "name": names.get(s.criterion)})
            for s in aimed(ws, page.items)
        ],
        total=page.total,
        next_cursor=page.next_cursor,
    )


@router.get("/scorecard/criteria")
def criteria(ws: WorkspaceDep, paging: PagingDep, access: ReaderDep) -> Page[CriterionListed]:
    """The criteria in use: pillar, unit, direction, rollup, what each needs."""
    log_read(ws, access, paging, "search", "scorecard.criteria")
    return paging.page(list_criteria(ws))


@router.get("/scorecard/maturity")
def maturity_grid(
    ws: WorkspaceDep,
    paging: PagingDep,
    access: ReaderDep,
    period: Annotated[
        date | None,
        Query(description="A date in the (last) period; default the latest complete one."),
    ] = None,
    grain: Annotated[Grain, Query(description="The length of a period.")] = "quarter",
    as_of: AsOf = None,
) -> Page[MaturityRow]:
    """Each team's stage of competence per pillar (data, customer, process), and why."""
    log_read(ws, access, paging, "query", "scorecard.maturity", period=period, grain=grain)
    now = utc(as_of)
    periods = periods_ending(_last(period, grain, now), grain, ws.config.scorecard.habitual_periods)
    return paging.page(maturity(ws, periods, grain, now))


def _last(period: date | None, grain: Grain, now: datetime) -> datetime:
    """The period `period` falls in, or the latest complete one as of `now`."""
    if period is None:
        return latest_complete(now, grain)
    return period_start(datetime(period.year, period.month, period.day, tzinfo=UTC), grain)
