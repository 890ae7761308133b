"""Who calls: the workspace a request works on, its bearer token, and the rule each route
declares (`READ`, `ADMIN`, `WRITE`, `TEAM_WRITE`, `ANYONE`), decided by
`services.users.authorize`.

Only API tokens (`Authorization: Bearer pot_...`) sign requests in so far; sessions,
passwords, OpenID Connect and CSRF protection come with the web pages (docs/server.md).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Annotated, Literal

from anyio import CancelScope
from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from productops.errors import AuthenticationError
from productops.services.actor import Actor
from productops.services.users import Access, authenticate_token, authorize
from productops.web.request_id import request_id
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


@dataclass
class Served:
    """The workspace the server serves, which each request takes in its turn: one request at a
    time opens the store, is answered and closes it, so that a command line on the same
    workspace gets the store between requests (docs/server.md, "One store, two kinds of
    process")."""

    root: Path
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[Workspace]:
        """The workspace, open for this turn; a store another process holds for longer than
        `[workspace] lock_wait_seconds` since the request came is a `StoreBusyError`."""
        came = time.monotonic()
        async with self.lock:
            waited = time.monotonic() - came
            with CancelScope(shield=True):  # a cancelled request must not leave the store open
                ws = await run_in_threadpool(partial(Workspace.open, self.root, waited=waited))
            try:
                yield ws
            finally:
                with CancelScope(shield=True):
                    await run_in_threadpool(ws.close)


async def workspace(request: Request) -> AsyncIterator[Workspace]:
    """The served workspace, held by this request until it is answered."""
    served: Served = request.app.state.served
    async with served.turn() as ws:
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
