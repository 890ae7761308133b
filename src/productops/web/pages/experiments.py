"""Experiments: the list with status and setup time; a results page in the manner of
GrowthBook's (per metric the effect with its interval drawn as a bar, chance to win, power
and days remaining; the SRM warning; guardrails apart); decide."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from productops.registry.experiments import load
from productops.services.experiment_overview import (
    DECISIONS,
    decide_experiment,
    experiments,
    results,
)
from productops.services.users import authorize
from productops.web.auth import WorkspaceDep
from productops.web.pages.forms import CHECKED
from productops.web.pages.render import back, log_use, page
from productops.web.pages.rules import Reader, TeamWriter
from productops.web.params import utc

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


@router.get("/experiments")
def experiment_list(
    request: Request,
    ws: WorkspaceDep,
    access: Reader,
    team: Annotated[str | None, Query(description="Only this team's experiments.")] = None,
) -> Response:
    """Every experiment with its status and setup time."""
    log_use(ws, access, "page_view", "experiments", team=team)
    found = experiments(ws, team or None)
    return page(
        request,
        access,
        "experiments.html",
        {"experiments": found},
        title="Experiments",
        found=found,
        team=team,
    )


@router.get("/experiments/{experiment}")
def experiment(
    request: Request,
    ws: WorkspaceDep,
    access: Reader,
    experiment: str,
    method: Annotated[
        Literal["bayesian", "frequentist"], Query(description="How to analyse.")
    ] = "bayesian",
) -> Response:
    """An experiment's results per metric, goals apart from guardrails."""
    found = results(ws, experiment, method, utc(None))
    log_use(ws, access, "open", f"experiment:{found.analysis.experiment.id}")
    rows = found.goals + found.guardrails
    bounds = [abs(r[k]) for r in rows for k in ("ci_low", "ci_high") if r.get(k) is not None]
    scale = max(bounds, default=0.1) * 1.1 or 0.1
    return page(
        request, access, "experiment.html", {"metrics": rows, "summary": [found.summary]},
        title=found.analysis.experiment.name or found.analysis.experiment.id,
        r=found, e=found.analysis.experiment, method=method, scale=scale, decisions=DECISIONS,
    )  # fmt: skip


@router.post("/experiments/{experiment}/decide", dependencies=CHECKED)
def decide(
    ws: WorkspaceDep,
    access: TeamWriter,
    experiment: str,
    decision: Annotated[Literal["ship", "rollback", "iterate", "inconclusive"], Form()],
    rationale: Annotated[str, Form(min_length=1)],
) -> Response:
    """Record the experiment's decision in the decision log, its goal results as evidence."""
    found = load(ws.store, experiment)
    authorize(access, "write", found.team_id)
    made = decide_experiment(ws, access.actor, found.id, decision, rationale.strip(), utc(None))
    return back(f"/data/decisions/{made}", f"/experiments/{found.id}")
