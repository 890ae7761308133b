# stand-in until the sign-in branch lands (w5-auth owns this module; see the contract)
"""Browser sessions for the pages: `SIGNED_IN` (the `Access` of the session's user), CSRF
tokens for forms, and `install(app)`, which answers `SignInRequired` with a redirect to
`/signin?next=...` and serves a minimal password sign-in form.

Sessions live in the server's memory (lost on restart), keyed by a random cookie."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass, field, replace
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from productops.errors import AuthenticationError, NotAllowedError, ProductOpsError
from productops.services.actor import Actor
from productops.services.users import Access, access_of, find_user, verify_password
from productops.web.auth import WorkspaceDep
from productops.web.request_id import request_id

__all__ = ["COOKIE", "CSRF", "SIGNED_IN", "SignInRequired", "csrf_token", "install"]

COOKIE = "productops_session"
_WRITES = {"POST", "PUT", "PATCH", "DELETE"}


class SignInRequired(AuthenticationError):
    """The request has no valid session: the browser is sent to sign in."""


@dataclass(frozen=True)
class _Session:
    user: str
    csrf: str


@dataclass
class _Sessions:
    by_key: dict[str, _Session] = field(default_factory=dict)


def _sessions(request: Request) -> _Sessions:
    found: _Sessions = request.app.state.sessions
    return found


def _session(request: Request) -> _Session | None:
    key = request.cookies.get(COOKIE)
    return _sessions(request).by_key.get(key) if key else None


class _SignedIn:
    """The `Access` of the session's user; `SignInRequired` without a valid session."""

    def __call__(self, request: Request, ws: WorkspaceDep) -> Access:
        found = _session(request)
        if found is None:
            raise SignInRequired("sign in to see this page")
        try:
            user = find_user(ws, found.user)
        except ProductOpsError:
            raise SignInRequired("sign in again: the user is gone") from None
        if user.disabled_at is not None:
            raise SignInRequired(f"user {user.id} is disabled; ask an admin")
        return replace(access_of(user), actor=Actor(f"user:{user.id}", request_id(request)))


SIGNED_IN = _SignedIn()


def csrf_token(request: Request) -> str:
    """The CSRF token of the request's session (empty without one)."""
    found = _session(request)
    return found.csrf if found else ""


class _Csrf:
    """Refuse a write whose form field `csrf_token` or header `X-CSRF-Token` is not the
    session's token (403, code `csrf`)."""

    async def __call__(self, request: Request) -> None:
        if request.method not in _WRITES:
            return
        given = request.headers.get("X-CSRF-Token")
        if given is None:
            form = await request.form()
            value = form.get("csrf_token")
            given = value if isinstance(value, str) else None
        expected = csrf_token(request)
        if not expected or not given or not hmac.compare_digest(given, expected):
            raise _CsrfRefused("the form is stale or not from this site: reload and retry")


class _CsrfRefused(NotAllowedError):
    """A write without the session's CSRF token."""


CSRF = _Csrf()

router = APIRouter(include_in_schema=False)


def _local(path: str) -> str:
    return path if path.startswith("/") and not path.startswith("//") else "/"


def _form(next_: str, message: str = "") -> str:
    note = f'<p role="alert">{message}</p>' if message else ""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign in - productops'
        '</title><meta name="viewport" content="width=device-width, initial-scale=1">'
        '<link rel="stylesheet" href="/static/app.css"></head><body><main class="signin">'
        f'<h1>Sign in</h1>{note}<form method="post" action="/signin">'
        f'<input type="hidden" name="next" value="{quote(next_, safe="/?=&")}">'
        '<label for="name">User name</label><input id="name" name="name" required '
        'autocomplete="username">'
        '<label for="password">Password</label><input id="password" name="password" '
        'type="password" required autocomplete="current-password">'
        '<button type="submit">Sign in</button></form></main></body></html>'
    )


@router.get("/signin")
def signin_form(next: str = "/") -> HTMLResponse:
    return HTMLResponse(_form(_local(next)))


@router.post("/signin")
async def signin(
    request: Request,
    name: Annotated[str, Form()],
    password: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",
) -> Response:
    served = request.app.state.served
    async with served.turn() as ws:
        try:
            access = await run_in_threadpool(verify_password, ws, name, password)
        except AuthenticationError:
            return HTMLResponse(_form(_local(next), "Wrong user name or password."), 401)
    key = secrets.token_urlsafe(32)
    _sessions(request).by_key[key] = _Session(
        access.actor.id.partition(":")[2], secrets.token_urlsafe(32)
    )
    response = RedirectResponse(_local(next), status_code=303)
    response.set_cookie(COOKIE, key, httponly=True, samesite="lax")
    return response


@router.post("/signout", dependencies=[Depends(CSRF)])
def signout(request: Request) -> Response:
    key = request.cookies.get(COOKIE)
    if key:
        _sessions(request).by_key.pop(key, None)
    response = RedirectResponse("/signin", status_code=303)
    response.delete_cookie(COOKIE)
    return response


def _to_signin(request: Request, exc: Exception) -> Response:
    asked = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/signin?next={quote(asked, safe='')}", status_code=303)


def _csrf_refused(request: Request, exc: Exception) -> Response:
    body = {"error": {"code": "csrf", "message": str(exc)}}
    if "text/html" in request.headers.get("accept", ""):
        return HTMLResponse(f"<!doctype html><title>Refused</title><p>{exc}</p>", 403)
    return JSONResponse(body, 403)


def install(app: FastAPI) -> None:
    """Sessions for `app`: the sign-in redirect, CSRF refusals and the sign-in routes."""
    app.state.sessions = _Sessions()
    app.add_exception_handler(SignInRequired, _to_signin)
    app.add_exception_handler(_CsrfRefused, _csrf_refused)
    app.include_router(router)
