"""Home: the organisation's kept scorecard of the latest period, opened by what changed and
what needs attention; a criterion's values per team and period; the rows behind a value."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from productops.ops.criteria import ORG
from productops.services.drilldown import ROWS_SHOWN, criterion, kept_values, rows_behind
from productops.services.overview import overview
from productops.web.auth import WorkspaceDep
from productops.web.pages.render import GrainQuery, log_use, page
from productops.web.pages.rules import Reader
from productops.web.params import utc

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


@router.get("/")
def home(
    request: Request, ws: WorkspaceDep, access: Reader, grain: GrainQuery = "quarter"
) -> Response:
    """The organisation's scorecard with its summary, maturity grid, nudges and initiatives."""
    log_use(ws, access, "page_view", "home", grain=grain)
    found = overview(ws, grain, utc(None))
    data: dict[str, Sequence[Any]] = {
        "scorecard": found.scores,
        "moves": found.moves,
        "incidents": found.incidents,
        "spikes": found.spikes,
        "decisions_due": found.decisions_due,
    }
    return page(
        request,
        access,
        "home.html",
        data,
        title="Home",
        api="/api/v1/scorecard",
        o=found,
        grain=grain,
        org=ORG,
    )


@router.get("/criteria/{ident}")
def criterion_page(
    request: Request, ws: WorkspaceDep, access: Reader, ident: str, grain: GrainQuery = "quarter"
) -> Response:
    """A criterion's definition and its kept values per team and period."""
    found = criterion(ident)
    log_use(ws, access, "open", f"criterion:{ident}", grain=grain)
    values = kept_values(ws, ident, grain)
    periods = sorted({v.period_start for v in values}, reverse=True)
    teams = sorted({v.team_id for v in values}, key=lambda t: (t != ORG, t))
    grid = {(v.team_id, v.period_start): v for v in values}
    labels = {v.period_start: v.period for v in values}
    return page(
        request, access, "criterion.html", {"values": values}, title=found.name,
        api=f"/api/v1/scorecard?grain={grain}", c=found, periods=periods, teams=teams, grid=grid,
        labels=labels, grain=grain, org=ORG,
    )  # fmt: skip


@router.get("/criteria/{ident}/rows")
def criterion_rows(
    request: Request,
    ws: WorkspaceDep,
    access: Reader,
    ident: str,
    period: Annotated[date, Query(description="The first day of the period.")],
    team: Annotated[str, Query(description=f"A team, or {ORG}.")] = ORG,
    grain: GrainQuery = "quarter",
) -> Response:
    """The rows a criterion's value for one team and period was computed from."""
    start = datetime(period.year, period.month, period.day, tzinfo=UTC)
    whole = request.query_params.get("format") == "csv"
    found = rows_behind(ws, ident, team, start, grain, None if whole else ROWS_SHOWN)
    log_use(ws, access, "query", f"criterion:{ident}", team=team, period=period, grain=grain)
    return page(
        request, access, "rows.html", {"rows": found.rows}, title=f"{found.criterion.name}: rows",
        found=found, grain=grain, shown=ROWS_SHOWN, org=ORG,
    )  # fmt: skip
