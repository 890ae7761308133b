"""Teams: the list, and a team's page (scorecard with targets its members edit, maturity
with reasons, nudges to accept, dismiss or mark done, initiatives through the cycle)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from productops.registry.improvement import load_initiative, load_nudge
from productops.services.initiatives import advance_initiative, start_initiative
from productops.services.nudges import accept_nudge, move_nudge
from productops.services.scorecard import set_criterion_target
from productops.services.team_overview import CYCLE, STAGES, team_overview
from productops.services.teams import list_teams
from productops.services.users import authorize
from productops.web.auth import WorkspaceDep
from productops.web.pages.forms import CHECKED, Back
from productops.web.pages.render import GrainQuery, back, log_use, page
from productops.web.pages.rules import Reader, TeamWriter
from productops.web.params import utc

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


@router.get("/teams")
def teams(request: Request, ws: WorkspaceDep, access: Reader) -> Response:
    """Every team."""
    log_use(ws, access, "page_view", "teams")
    found = list_teams(ws)
    return page(
        request,
        access,
        "teams.html",
        {"teams": found},
        title="Teams",
        api="/api/v1/teams",
        teams=found,
    )


@router.get("/teams/{team}")
def team(
    request: Request, ws: WorkspaceDep, access: Reader, team: str, grain: GrainQuery = "quarter"
) -> Response:
    """A team's scorecard, maturity, nudges and initiatives."""
    found = team_overview(ws, team, grain)
    log_use(ws, access, "page_view", f"team:{team}", grain=grain)
    data: dict[str, Sequence[Any]] = {
        "scorecard": found.scores,
        "nudges": found.nudges,
        "initiatives": found.initiatives,
    }
    return page(
        request, access, "team.html", data, title=found.team.name, api=f"/api/v1/scorecard?team={team}",
        t=found, grain=grain, stages=STAGES, cycle=CYCLE,
    )  # fmt: skip


@router.post("/teams/{team}/targets/{criterion}", dependencies=CHECKED)
def set_target(
    ws: WorkspaceDep, access: TeamWriter, team: str, criterion: str,
    value: Annotated[float, Form()], back_to: Back = None,
) -> Response:  # fmt: skip
    """Set the team's own target for a criterion."""
    authorize(access, "write", team)
    set_criterion_target(ws, access.actor, criterion, team, value)
    return back(back_to, f"/teams/{team}")


def _nudge_team(ws: WorkspaceDep, access: TeamWriter, nudge: str) -> str:
    found = load_nudge(ws.store, nudge)
    authorize(access, "write", found["team_id"])
    return str(found["team_id"])


@router.post("/nudges/{nudge}/accept", dependencies=CHECKED)
def accept(ws: WorkspaceDep, access: TeamWriter, nudge: str, back_to: Back = None) -> Response:
    """Accept an offered nudge."""
    team = _nudge_team(ws, access, nudge)
    accept_nudge(ws, access.actor, nudge, utc(None))
    return back(back_to, f"/teams/{team}#nudges")


@router.post("/nudges/{nudge}/dismiss", dependencies=CHECKED)
def dismiss(
    ws: WorkspaceDep, access: TeamWriter, nudge: str,
    reason: Annotated[str, Form(min_length=1)], back_to: Back = None,
) -> Response:  # fmt: skip
    """Dismiss a nudge, saying why."""
    team = _nudge_team(ws, access, nudge)
    move_nudge(ws, access.actor, nudge, "dismissed", utc(None), reason=reason.strip())
    return back(back_to, f"/teams/{team}#nudges")


@router.post("/nudges/{nudge}/done", dependencies=CHECKED)
def done(
    ws: WorkspaceDep, access: TeamWriter, nudge: str,
    outcome: Annotated[str | None, Form()] = None, back_to: Back = None,
) -> Response:  # fmt: skip
    """Mark an accepted nudge done."""
    team = _nudge_team(ws, access, nudge)
    move_nudge(ws, access.actor, nudge, "done", utc(None), outcome=outcome or None)
    return back(back_to, f"/teams/{team}#nudges")


@router.post("/teams/{team}/initiatives", dependencies=CHECKED)
def start(
    ws: WorkspaceDep, access: TeamWriter, team: str,
    title: Annotated[str, Form(min_length=1)], criterion: Annotated[str, Form()], back_to: Back = None,
) -> Response:  # fmt: skip
    """Start an initiative aimed at a criterion."""
    authorize(access, "write", team)
    start_initiative(ws, access.actor, team, title.strip(), criterion, utc(None))
    return back(back_to, f"/teams/{team}#initiatives")


@router.post("/initiatives/{initiative}/advance", dependencies=CHECKED)
def advance(
    ws: WorkspaceDep, access: TeamWriter, initiative: str, back_to: Back = None
) -> Response:
    """Move an initiative to its next stage."""
    found = load_initiative(ws.store, initiative)
    authorize(access, "write", found["team_id"])
    advance_initiative(ws, access.actor, found["id"], None, utc(None))
    return back(back_to, f"/teams/{found['team_id']}#initiatives")
