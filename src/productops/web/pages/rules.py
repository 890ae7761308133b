"""Who may open a page or send its form: each page route declares one rule, decided by
`services.users.authorize` on the signed-in user (`sessions.SIGNED_IN`), as `web.auth.Allow`
decides on a token.

- `read`, `admin`: that action;
- `write`: a write for the whole organisation (admins only);
- `team`: a write for one team: admins and members pass here, and the route calls
  `authorize(access, "write", TEAM)` on the object's team once it has found it.

Form routes also depend on `sessions.CSRF`. The survey answer page needs no account
(`web.auth.ANYONE`)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import Depends, Request

from productops.services.users import Access, authorize
from productops.web.sessions import SIGNED_IN

__all__ = [
    "PAGE_ADMIN",
    "PAGE_READ",
    "PAGE_TEAM",
    "PAGE_WRITE",
    "Admin",
    "PageRule",
    "Reader",
    "TeamWriter",
    "Writer",
]


@dataclass(frozen=True)
class PageRule:
    """A page route's rule (see the module's docstring)."""

    action: Literal["read", "admin", "write", "team"]

    def __call__(self, request: Request, access: Annotated[Access, Depends(SIGNED_IN)]) -> Access:
        # the request holds its render slot and the store: `page` times from here
        request.state.turn_started = time.perf_counter()
        if self.action == "team":
            authorize(access, "write", access.teams[0] if access.teams else None)
        else:
            authorize(access, self.action)
        return access


PAGE_READ = PageRule("read")
PAGE_ADMIN = PageRule("admin")
PAGE_WRITE = PageRule("write")
PAGE_TEAM = PageRule("team")

Reader = Annotated[Access, Depends(PAGE_READ)]
Admin = Annotated[Access, Depends(PAGE_ADMIN)]
Writer = Annotated[Access, Depends(PAGE_WRITE)]
TeamWriter = Annotated[Access, Depends(PAGE_TEAM)]
