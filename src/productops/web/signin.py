"""Signing in and out of the pages: `GET /signin` (the form: `name`, `password`, hidden
`next`), `POST /signin`, `POST /signout` (with the CSRF token); the use cases are
`services.sessions` (docs/server.md, "Signing in").

After signing in the browser goes to `next`, a path on this server (`/` otherwise). The sign-in
form has no session yet, so no CSRF token: a form that another site posts (login CSRF, which
would sign the browser in as someone else) is refused by its `Origin` header instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from productops.errors import AuthenticationError
from productops.services import sessions
from productops.web.auth import ANYONE, WorkspaceDep, session_cookie
from productops.web.errors import CSRFError
from productops.web.request_id import request_id
from productops.web.sessions import CSRF, clear_cookie, local_path, set_cookie
from productops.workspace import Workspace

__all__ = ["router", "templates"]

router = APIRouter(include_in_schema=False, dependencies=[Depends(ANYONE)])
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


def _form(
    request: Request,
    ws: Workspace,
    next_path: str,
    *,
    name: str = "",
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    oidc = ws.config.server.oidc
    context = {"next": next_path, "name": name, "error": error, "oidc": oidc and oidc.label}
    return templates.TemplateResponse(request, "signin.html", context, status_code=status)


@router.get("/signin")
def sign_in_form(request: Request, ws: WorkspaceDep, next: str = "/") -> HTMLResponse:
    """The sign-in form."""
    return _form(request, ws, local_path(next))


def _same_site(request: Request, ws: Workspace) -> None:
    """Refuse a sign-in form that a page of another site sent (its `Origin` names that site;
    browsers send it with every form post). A client that sends no `Origin` is no browser."""
    origin = request.headers.get("origin")
    if origin is None:
        return
    host = request.headers.get("host", "")
    if ws.config.server.trust_proxy:
        host = request.headers.get("x-forwarded-host", host).split(",")[0].strip()
    if origin == "null" or urlsplit(origin).netloc.lower() != host.lower():
        raise CSRFError("the sign-in form was sent from another site; open /signin here")


@router.post("/signin")
def sign_in(
    request: Request,
    ws: WorkspaceDep,
    name: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    """Check the password, start a new session and send the browser on to `next`; a wrong
    name or password shows the form again (401) with one message for both."""
    _same_site(request, ws)
    target = local_path(next)
    try:
        new = sessions.sign_in(
            ws, name, password, request_id=request_id(request), replacing=session_cookie(request)
        )
    except AuthenticationError as exc:
        return _form(request, ws, target, name=name, error=str(exc), status=401)
    response = RedirectResponse(target, status_code=303)
    set_cookie(response, request, ws, new.secret)
    return response


@router.post("/signout", dependencies=[Depends(CSRF)])
def sign_out(request: Request, ws: WorkspaceDep) -> Response:
    """End the session and forget its cookie."""
    cookie = session_cookie(request)
    if cookie is not None:
        sessions.sign_out(ws, cookie, request_id=request_id(request))
    response = RedirectResponse("/signin", status_code=303)
    clear_cookie(response)
    return response
