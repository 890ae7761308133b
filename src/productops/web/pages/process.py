"""Process: a team's delivery flow (lead and cycle time percentiles over time, throughput,
WIP, aging WIP against its percentiles), time in status, bottleneck, flow efficiency,
conformance, the dependency matrix, a Monte Carlo forecast as dates, DORA with its bands."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from productops.errors import NotFoundError
from productops.services.process_overview import data_as_of, process_overview
from productops.services.teams import list_teams
from productops.web.auth import WorkspaceDep
from productops.web.pages.render import GrainQuery, log_use, page
from productops.web.pages.rules import Reader
from productops.web.params import utc

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


def _x(rows: list[dict[str, Any]]) -> list[float]:
    return [r["period_start"].timestamp() for r in rows]


def _line(rows: list[dict[str, Any]], fields: dict[str, str], unit: str) -> dict[str, Any]:
    return {
        "kind": "line", "time": True, "ylabel": unit, "x": _x(rows),
        "series": [{"label": label, "values": [r[f] for r in rows]} for f, label in fields.items()],
    }  # fmt: skip


@router.get("/process")
def process(
    request: Request,
    ws: WorkspaceDep,
    access: Reader,
    team: Annotated[str | None, Query(description="The team (default the first).")] = None,
    grain: GrainQuery = "quarter",
    as_of: Annotated[
        datetime | None, Query(description="Look from (default: the newest data).")
    ] = None,
) -> Response:
    """A team's delivery flow, dependencies, forecast and DORA."""
    teams = [t for t in list_teams(ws) if t.parent_id is not None] or list_teams(ws)
    if not teams:
        raise NotFoundError("no teams yet: import them (productops import team FILE)")
    chosen = team or teams[0].id
    if chosen not in {t.id for t in teams}:
        raise NotFoundError(f"team {chosen!r}: no such product team")
    log_use(ws, access, "page_view", "process", team=chosen, grain=grain)
    v = process_overview(ws, chosen, grain, data_as_of(ws, utc(as_of)))
    charts = {
        "lead": _line(v.lead, {"p50": "lead p50", "p85": "lead p85"}, "days"),
        "cycle": _line(v.cycle, {"p50": "cycle p50", "p85": "cycle p85"}, "days"),
        "throughput": _line(v.throughput, {"items": "items done"}, "items") | {"kind": "bars"},
        "wip": _line(v.wip, {"wip": "work in progress"}, "items"),
        "aging": {
            "kind": "scatter", "xlabel": "item (oldest first)", "ylabel": "days in progress",
            "x": list(range(1, len(v.aging) + 1)),
            "series": [{"label": "age", "values": [r["age_days"] for r in v.aging]}]
            + [{"label": f"team {q}", "line": True, "values": [r[q] for r in v.aging]} for q in ("p50", "p85")],
        },
    }  # fmt: skip
    data: dict[str, Sequence[Any]] = {
        "lead": v.lead, "cycle": v.cycle, "throughput": v.throughput, "wip": v.wip,
        "aging": v.aging, "time_in_status": v.time_in_status, "bottleneck": v.bottleneck,
        "efficiency": v.efficiency, "conformance": v.conformance, "deviations": v.deviations,
        "dependencies": v.dependencies, "forecast": v.forecast, "dora": v.dora,
    }  # fmt: skip
    matrix_teams = sorted(
        {r["blocking_team"] for r in v.dependencies} | {r["blocked_team"] for r in v.dependencies}
    )
    matrix = {(r["blocking_team"], r["blocked_team"]): r for r in v.dependencies}
    return page(
        request, access, "process.html", data, title="Process", api=f"/api/v1/flow/items?team={chosen}",
        v=v, teams=teams, team=chosen, grain=grain, charts=charts, matrix=matrix, matrix_teams=matrix_teams,
    )  # fmt: skip
