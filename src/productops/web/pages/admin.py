"""Admin: users and roles (change a role and teams), tokens (revoke); connectors with each sync's status, cursor and
errors; the scheduled jobs with their last runs; the messages given up on (send again);
settings; the audit trail. Admins only."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from productops.services.admin_overview import connectors, settings
from productops.services.audit import events
from productops.services.notify import outbox, requeue
from productops.services.schedule import job_statuses
from productops.services.teams import list_teams
from productops.services.users import ROLES, Role, list_tokens, list_users, revoke_token, set_role
from productops.web.auth import WorkspaceDep
from productops.web.pages.forms import CHECKED, Back
from productops.web.pages.render import back, log_use, page
from productops.web.pages.rules import Admin
from productops.web.params import utc

__all__ = ["AUDIT_SHOWN", "router"]

router = APIRouter(include_in_schema=False)
AUDIT_SHOWN = 200


@router.get("/admin")
def admin(request: Request, ws: WorkspaceDep, access: Admin) -> Response:
    """Users, tokens, connectors, the schedule, dead messages and settings."""
    log_use(ws, access, "page_view", "admin")
    now = utc(None)
    data: dict[str, Sequence[Any]] = {
        "users": list_users(ws),
        "tokens": list_tokens(ws),
        "connectors": connectors(ws),
        "schedule": job_statuses(ws, now),
        "dead": outbox(ws, "dead"),
    }
    return page(
        request, access, "admin.html", data, title="Admin", settings=settings(ws), now=now,
        users=data["users"], tokens=data["tokens"], connectors=data["connectors"],
        schedule=data["schedule"], dead=data["dead"], roles=ROLES, teams=list_teams(ws),
    )  # fmt: skip


@router.get("/admin/audit")
def audit(
    request: Request,
    ws: WorkspaceDep,
    access: Admin,
    user: Annotated[str | None, Query(description="An actor (cli:ana) or a user name.")] = None,
    object: Annotated[
        str | None, Query(description="A table or one object (app_user:ben).")
    ] = None,
    since: Annotated[datetime | None, Query(description="Rows at or after this time.")] = None,
) -> Response:
    """The audit trail, newest first."""
    log_use(ws, access, "search", "audit", user=user, object=object, since=since)
    found = list(reversed(events(ws, user=user or None, object=object or None, since=since)))
    whole = request.query_params.get("format") in ("csv", "json")
    shown = found if whole else found[:AUDIT_SHOWN]
    return page(
        request, access, "audit.html", {"audit": shown}, title="Audit trail", api="/api/v1/audit",
        found=shown, total=len(found), user=user, object=object, since=since,
    )  # fmt: skip


@router.post("/admin/tokens/{token}/revoke", dependencies=CHECKED)
def revoke(ws: WorkspaceDep, access: Admin, token: str, back_to: Back = None) -> Response:
    """Revoke an API token: it stops working at once."""
    revoke_token(ws, access.actor, token)
    return back(back_to, "/admin#tokens")


@router.post("/admin/users/{user}/role", dependencies=CHECKED)
def change_role(
    ws: WorkspaceDep,
    access: Admin,
    user: str,
    role: Annotated[Role, Form()],
    teams: Annotated[str | None, Form(max_length=2000)] = None,
    back_to: Back = None,
) -> Response:
    """Give a user a role and, when `teams` is sent, exactly those teams (team ids separated
    by commas or spaces; empty: none), as `productops user role` does."""
    given = None if teams is None else [t for t in re.split(r"[,\s]+", teams) if t]
    set_role(ws, access.actor, user, role, given)
    return back(back_to, "/admin#users")


@router.post("/admin/outbox/{message}/requeue", dependencies=CHECKED)
def send_again(ws: WorkspaceDep, access: Admin, message: str, back_to: Back = None) -> Response:
    """Send a message given up on again, once its channel is mended (`productops notify
    requeue`)."""
    requeue(ws, access, message)
    return back(back_to, "/admin#dead")
