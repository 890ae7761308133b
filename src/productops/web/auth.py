"""Who calls: the workspace a request works on, its bearer token, and the rule each route
declares (`READ`, `ADMIN`, `WRITE`, `TEAM_WRITE`, `ANYONE`), decided by
`services.users.authorize`.

Only API tokens (`Authorization: Bearer pot_...`) sign requests in so far; sessions,
passwords, OpenID Connect and CSRF protection come with the web pages (docs/server.md).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from typing import Annotated, Literal

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from productops.errors import AuthenticationError
from productops.services.actor import Actor
from productops.services.users import Access, authenticate_token, authorize
from productops.web.request_id import request_id
from productops.web.turns import Served
from productops.workspace import Workspace

__all__ = [
    "ADMIN",
    "ANYONE",
    "READ",
    "TEAM_WRITE",
    "WRITE",
    "Allow",
    "Anyone",
    "Served",
    "WorkspaceDep",
    "workspace",
]

_bearer = HTTPBearer(auto_error=False, description="An API token: `productops token create`.")


async def workspace(request: Request) -> AsyncIterator[Workspace]:
    """The served workspace, held by this request until it is answered."""
    served: Served = request.app.state.served
    async with served.turn(writes=request.method not in ("GET", "HEAD")) as ws:
        yield ws


WorkspaceDep = Annotated[Workspace, Depends(workspace)]


@dataclass(frozen=True)
class Allow:
    """A route's rule, decided by `authorize` on the caller's token:

    - `read`, `admin`: that action;
    - `write`: a write for the whole organisation (admins only);
    - `team`: a write for one team, whose team the route knows only once it has found the object:
      here admins and members with a write token pass, and the route calls
      `authorize(access, "write", TEAM)` (a member writes only for its teams).

    The `Access` returned acts in the request: its actor carries the request's id."""

    action: Literal["read", "admin", "write", "team"]

    def __call__(
        self,
        request: Request,
        ws: WorkspaceDep,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> Access:
        if credentials is None:
            raise AuthenticationError(
                "no API token: send `Authorization: Bearer TOKEN` "
                "(make one with `productops token create USER`)"
            )
        access = authenticate_token(ws, credentials.credentials)
        if self.action == "team":
            # a member passes for one of its own teams; the route checks the object's team
            authorize(access, "write", access.teams[0] if access.teams else None)
        else:
            authorize(access, self.action)
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
