"""Who calls: the workspace a request works on, its bearer token or session cookie, and the
rule each route declares (`READ`, `ADMIN`, `WRITE`, `TEAM_WRITE`, `ANYONE`), decided by
`services.users.authorize`.

A script signs in with an API token (`Authorization: Bearer pot_...`); a browser with the
session cookie `productops_session` that signing in on `/signin` gives it (`web.sessions`,
`web.signin`). The JSON API takes both, so that the pages may call it: a token wins when both
come, and a write through the cookie must carry the session's CSRF token in `X-CSRF-Token`
(a token needs none: no other site can make a browser send it). docs/server.md, "Signing in".
"""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from typing import Annotated, Literal

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from productops.errors import AuthenticationError
from productops.services.actor import Actor
from productops.services.sessions import authenticate_session, csrf_token
from productops.services.users import Access, authenticate_token, authorize
from productops.web.errors import CSRFError
from productops.web.request_id import request_id
from productops.web.turns import Served
from productops.workspace import Workspace

__all__ = [
    "ADMIN",
    "ANYONE",
    "COOKIE",
    "CSRF_HEADER",
    "READ",
    "SAFE_METHODS",
    "TEAM_WRITE",
    "WRITE",
    "Allow",
    "Anyone",
    "Served",
    "WorkspaceDep",
    "check_csrf",
    "session_cookie",
    "workspace",
]

COOKIE = "productops_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

_bearer = HTTPBearer(auto_error=False, description="An API token: `productops token create`.")


async def workspace(request: Request) -> AsyncIterator[Workspace]:
    """The served workspace, held by this request until it is answered."""
    served: Served = request.app.state.served
    writes = request.method not in ("GET", "HEAD")
    async with served.turn(writes=writes) as ws:
        yield ws
        caller = getattr(request.state, "caller", None)
        if writes and caller is not None:
            served.written_by(caller)


WorkspaceDep = Annotated[Workspace, Depends(workspace)]


def session_cookie(request: Request) -> str | None:
    """The session cookie the request came with, if any."""
    return request.cookies.get(COOKIE) or None


def check_csrf(request: Request, given: str | None) -> None:
    """Refuse (`CSRFError`) a write whose CSRF token `given` is not its session cookie's."""
    cookie = session_cookie(request)
    if cookie is None:
        raise CSRFError("this write needs a signed-in session and its CSRF token; sign in again")
    if not given or not hmac.compare_digest(given.encode(), csrf_token(cookie).encode()):
        raise CSRFError(
            f"the CSRF token is missing or wrong: send the session's in {CSRF_HEADER} "
            "(or the form field csrf_token); reload the page to get it"
        )


@dataclass(frozen=True)
class Allow:
    """A route's rule, decided by `authorize` on the caller's token or session:

    - `read`, `admin`: that action;
    - `write`: a write for the whole organisation (admins only);
    - `team`: a write for one team, whose team the route knows only once it has found the object:
      here admins and members with a write token pass, and the route calls
      `authorize(access, "write", TEAM)` (a member writes only for its teams).

    A session (no token sent) writes only with its CSRF token in `X-CSRF-Token`. The `Access`
    returned acts in the request: its actor carries the request's id."""

    action: Literal["read", "admin", "write", "team"]

    def __call__(
        self,
        request: Request,
        ws: WorkspaceDep,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> Access:
        cookie = session_cookie(request)
        if credentials is not None:
            access = authenticate_token(ws, credentials.credentials)
        elif cookie is not None:
            if request.method not in SAFE_METHODS:
                check_csrf(request, request.headers.get(CSRF_HEADER))
            access = authenticate_session(ws, cookie)
        else:
            raise AuthenticationError(
                "no API token: send `Authorization: Bearer TOKEN` "
                "(make one with `productops token create USER`), or sign in at /signin"
            )
        if self.action == "team":
            # a member passes for one of its own teams; the route checks the object's team
            authorize(access, "write", access.teams[0] if access.teams else None)
        else:
            authorize(access, self.action)
        request.state.caller = access.actor.id  # for `Served.remembered`: read your writes
        return replace(access, actor=Actor(access.actor.id, request_id(request)))


READ = Allow("read")
ADMIN = Allow("admin")
WRITE = Allow("write")
TEAM_WRITE = Allow("team")


@dataclass(frozen=True)
class Anyone:
    """The rule of a route that needs no account and looks at none (a survey answer): no
    token is read, so none is in its OpenAPI description."""

    action: Literal["anyone"] = "anyone"

    def __call__(self) -> None:
        return None


ANYONE = Anyone()
