"""Data: the metric catalog with search, a metric's page (definition, owner, chart,
dimensions, SQL behind a toggle), data checks and incidents with the keys that differ, and
the decision log (a decision with its frozen evidence, verify and review)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from productops.durations import Grain
from productops.registry.decisions import STATUSES, list_decisions, load_decision
from productops.registry.evidence import MetricRequest
from productops.services import data_overview as data
from productops.services import decisions
from productops.services.teams import list_teams
from productops.services.users import authorize
from productops.web.auth import WorkspaceDep
from productops.web.pages.forms import CHECKED, Back
from productops.web.pages.render import GrainQuery, back, log_use, page
from productops.web.pages.rules import Reader, TeamWriter
from productops.web.params import utc

__all__ = ["DECISIONS_SHOWN", "router"]

router = APIRouter(include_in_schema=False)
DECISIONS_SHOWN = 100
"""Decisions the log shows, the newest first (the CSV and JSON have them all)."""


@router.get("/data")
def catalog(
    request: Request,
    ws: WorkspaceDep,
    access: Reader,
    q: Annotated[str, Query(max_length=200, description="Words a metric matches.")] = "",
) -> Response:
    """The metric catalog (searched with `q`), data checks and incidents."""
    log_use(ws, access, "search", q.strip(), page="data") if q.strip() else log_use(
        ws, access, "page_view", "data"
    )
    checks, incidents = data.checks(ws)
    found: dict[str, Sequence[Any]] = {
        "metrics": data.search_metrics(ws, q),
        "checks": checks,
        "incidents": incidents,
    }
    return page(
        request, access, "data.html", found, title="Data", api="/api/v1/metrics", q=q, **found
    )


@router.get("/data/metrics/{name}")
def metric(
    request: Request, ws: WorkspaceDep, access: Reader, name: str, grain: GrainQuery = "month"
) -> Response:
    """A metric's definition, dimensions, SQL and value per period."""
    found = data.metric_view(ws, name, grain)
    log_use(ws, access, "open", name)
    dated = [r for r in found.series if r.get("period_start") and "value" in r]
    chart = {
        "kind": "line",
        "time": True,
        "xlabel": grain,
        "ylabel": found.entry.unit,
        "x": [r["period_start"].timestamp() for r in dated],
        "series": [{"label": name, "values": [r["value"] for r in dated]}],
    }
    columns = list(found.series[0]) if found.series else ["period_start", "value"]
    return page(
        request, access, "metric.html", {"series": found.series}, title=name, api="/api/v1/metrics",
        m=found, grain=grain, chart=chart if dated else None, columns=columns,
    )  # fmt: skip


@router.get("/data/decisions")
def decision_log(
    request: Request,
    ws: WorkspaceDep,
    access: Reader,
    team: Annotated[str | None, Query(description="Only this team's decisions.")] = None,
    status: Annotated[str | None, Query(description="proposed, decided or superseded.")] = None,
) -> Response:
    """The decision log, the newest `DECISIONS_SHOWN`, with a form to log a new decision."""
    log_use(ws, access, "page_view", "decisions", team=team, status=status)
    rows = list_decisions(ws.store, team or None, status if status in STATUSES else None)
    whole = request.query_params.get("format") in ("csv", "json")
    shown = rows if whole else rows[:DECISIONS_SHOWN]
    teams = list_teams(ws)
    return page(
        request, access, "decisions.html", {"decisions": shown}, title="Decision log",
        decisions=shown, total=len(rows), team=team, status=status, statuses=STATUSES, teams=teams,
    )  # fmt: skip


@router.get("/data/decisions/{decision}")
def decision(
    request: Request, ws: WorkspaceDep, access: Reader, decision: str, verify: bool = False
) -> Response:
    """A decision with its frozen evidence; with `verify`, each evidence re-run."""
    found, evidence = data.decision_record(ws, decision)
    log_use(ws, access, "open", f"decision:{found['id']}")
    checked = data.verify(ws, found["id"], utc(None)) if verify else []
    metrics = data.search_metrics(ws)
    tables: dict[str, Sequence[Any]] = {
        "decision": [found],
        "evidence": evidence,
        "verification": checked,
    }
    return page(
        request, access, "decision.html", tables, title=found["title"], d=found, evidence=evidence,
        checked=checked, verify=verify, metrics=metrics,
    )  # fmt: skip


@router.post("/data/decisions", dependencies=CHECKED)
def new_decision(
    ws: WorkspaceDep,
    access: TeamWriter,
    team_id: Annotated[str, Form(min_length=1)],
    title: Annotated[str, Form(min_length=1)],
    context: Annotated[str | None, Form()] = None,
    options: Annotated[str | None, Form(description="One option per line.")] = None,
) -> Response:
    """Log a proposed decision for a team."""
    authorize(access, "write", team_id)
    made = decisions.log_decision(
        ws, access.actor, team_id=team_id, title=title.strip(), context=context or None,
        options=[o.strip() for o in (options or "").splitlines() if o.strip()],
        deciders=[], expect=None, expected_by=None,
        review_at=None, at=utc(None),
    )  # fmt: skip
    return back(f"/data/decisions/{made.id}", "/data/decisions")


def _decision_id(ws: WorkspaceDep, access: TeamWriter, ref: str) -> str:
    found = load_decision(ws.store, ref)
    authorize(access, "write", found["team_id"])
    return str(found["id"])


@router.post("/data/decisions/{decision}/evidence", dependencies=CHECKED)
def evidence(
    ws: WorkspaceDep, access: TeamWriter, decision: str, metric: Annotated[str, Form(min_length=1)],
    grain: Annotated[Grain, Form()] = "week", back_to: Back = None,
) -> Response:  # fmt: skip
    """Freeze a catalog metric's query and rows as the decision's evidence."""
    ident = _decision_id(ws, access, decision)
    decisions.attach_evidence(ws, access.actor, ident, MetricRequest(metric, (), grain), utc(None))
    return back(back_to, f"/data/decisions/{ident}")


@router.post("/data/decisions/{decision}/decide", dependencies=CHECKED)
def decide(
    ws: WorkspaceDep, access: TeamWriter, decision: str, choice: Annotated[str, Form(min_length=1)],
    rationale: Annotated[str | None, Form()] = None, back_to: Back = None,
) -> Response:  # fmt: skip
    """Record what was decided."""
    ident = _decision_id(ws, access, decision)
    decisions.decide(ws, access.actor, ident, choice.strip(), rationale or None, utc(None))
    return back(back_to, f"/data/decisions/{ident}")


@router.post("/data/decisions/{decision}/review", dependencies=CHECKED)
def review(ws: WorkspaceDep, access: TeamWriter, decision: str, back_to: Back = None) -> Response:
    """Measure the expected metric again and record the outcome."""
    ident = _decision_id(ws, access, decision)
    decisions.review(ws, access.actor, ident, utc(None))
    return back(back_to, f"/data/decisions/{ident}")
