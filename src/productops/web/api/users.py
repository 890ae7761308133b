"""`GET /api/v1/users` and `/api/v1/tokens`: the users of productops and their API tokens (as
`productops user list` and `token list -f json`), admins only. A token is never shown, nor its
hash; `teams` is a list here (the command line joins it)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from productops.services.users import Token, User, list_tokens, list_users
from productops.web.auth import WorkspaceDep
from productops.web.paging import Page, PagingDep
from productops.web.usage import AdminDep, log_read

__all__ = ["router"]

router = APIRouter(tags=["organisation"])


@router.get("/users")
def users(ws: WorkspaceDep, paging: PagingDep, access: AdminDep) -> Page[User]:
    """Users: role, teams, whether they have a password, when added or disabled."""
    log_read(ws, access, paging, "search", "users")
    return paging.page(list_users(ws))


@router.get("/tokens")
def tokens(
    ws: WorkspaceDep,
    paging: PagingDep,
    access: AdminDep,
    user: Annotated[str | None, Query(description="Only this user's tokens.")] = None,
) -> Page[Token]:
    """API tokens: user, scope, expiry, last use, revocation (never the token)."""
    log_read(ws, access, paging, "search", "tokens", user=user)
    return paging.page(list_tokens(ws, user))
