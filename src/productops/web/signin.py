"""Signing in and out of the pages: `GET /signin` (the form: `name`, `password`, hidden
`next`), `POST /signin`, `POST /signout` (with the CSRF token), and through an OpenID Connect
provider `GET /signin/oidc` -> the provider -> `GET /signin/oidc/callback`. The use cases are
`services.sessions` and `services.oidc` (docs/server.md, "Signing in").

After signing in the browser goes to `next`, a path on this server (`/` otherwise). The sign-in
form has no session yet, so no CSRF token: a form that another site posts (login CSRF, which
would sign the browser in as someone else) is refused by its `Origin` header instead. A sign-in
through the provider is kept in the server's memory until the browser comes back (at most
`PENDING_SECONDS`), under a random key in the cookie `productops_oidc`; a restarted server
forgets it, and the person starts again.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import time
from functools import partial
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse

from productops.errors import AuthenticationError, NotFoundError, SignInProviderError, UsageError
from productops.services import oidc, sessions
from productops.web.auth import ANYONE, WorkspaceDep, session_cookie
from productops.web.errors import CSRFError
from productops.web.pages.render import TEMPLATES
from productops.web.request_id import request_id
from productops.web.sessions import CSRF, clear_cookie, is_https, local_path, set_cookie
from productops.web.turns import Served
from productops.workspace import Workspace

__all__ = ["FLOW_COOKIE", "PENDING_SECONDS", "PendingSignIns", "router"]

log = logging.getLogger("productops.web")

router = APIRouter(include_in_schema=False, dependencies=[Depends(ANYONE)])
FLOW_COOKIE = "productops_oidc"
FLOW_PATH = "/signin/oidc"
CALLBACK = "/signin/oidc/callback"
PENDING_SECONDS = 600  # from leaving for the provider to coming back
MAX_PENDING = 10_000  # sign-ins under way at once; the oldest are dropped past it


class PendingSignIns:
    """Sign-ins sent to the provider, by the hash of their `productops_oidc` cookie."""

    def __init__(self) -> None:
        self._by_key: dict[str, tuple[float, oidc.Pending]] = {}

    def _drop_old(self) -> None:
        now = time.monotonic()
        for key, (started, _) in list(self._by_key.items()):
            if now - started > PENDING_SECONDS or len(self._by_key) > MAX_PENDING:
                del self._by_key[key]

    def keep(self, pending: oidc.Pending) -> str:
        """Keep `pending`; the key to give the browser."""
        self._drop_old()
        key = secrets.token_urlsafe(32)
        self._by_key[hashlib.sha256(key.encode()).hexdigest()] = (time.monotonic(), pending)
        return key

    def take(self, key: str | None) -> oidc.Pending | None:
        """The sign-in the browser's `key` names, once; None if unknown or too old."""
        self._drop_old()
        found = self._by_key.pop(hashlib.sha256((key or "").encode()).hexdigest(), None)
        return None if found is None else found[1]


def _form(
    request: Request,
    oidc_label: str | None,
    next_path: str,
    *,
    name: str = "",
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    context: dict[str, object] = {
        "next": next_path,
        "name": name,
        "error": error,
        "oidc": oidc_label,
        "title": "Sign in to productops",
        "nav": [],
    }
    return TEMPLATES.TemplateResponse(request, "signin.html", context, status_code=status)


def _label(ws: Workspace) -> str | None:
    found = ws.config.server.oidc
    return found.label if found else None


@router.get("/signin")
def sign_in_form(request: Request, ws: WorkspaceDep, next: str = "/") -> HTMLResponse:
    """The sign-in form."""
    return _form(request, _label(ws), local_path(next))


def _host(request: Request, trust_proxy: bool) -> str:
    host = request.headers.get("host", "")
    if trust_proxy:
        host = request.headers.get("x-forwarded-host", host).split(",")[0].strip()
    return host


def _same_site(request: Request, trust_proxy: bool) -> None:
    """Refuse a sign-in form that a page of another site sent (its `Origin` names that site;
    browsers send it with every form post). A client that sends no `Origin` is no browser."""
    origin = request.headers.get("origin")
    if origin is None:
        return
    if origin == "null" or urlsplit(origin).netloc.lower() != _host(request, trust_proxy).lower():
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
    _same_site(request, ws.config.server.trust_proxy)
    target = local_path(next)
    try:
        new = sessions.sign_in(
            ws, name, password, request_id=request_id(request), replacing=session_cookie(request)
        )
    except AuthenticationError as exc:
        return _form(request, _label(ws), target, name=name, error=str(exc), status=401)
    response = RedirectResponse(target, status_code=303)
    set_cookie(response, request, ws.config.server, new.secret)
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


async def _provider(request: Request) -> oidc.Provider:
    served: Served = request.app.state.served
    found = await run_in_threadpool(oidc.provider, served.root)
    if found is None:
        raise NotFoundError("sign-in through a provider is not configured here ([server.oidc])")
    return found


def _redirect_uri(request: Request, found: oidc.Provider) -> str:
    """Where the provider sends the browser back: `[server] public_url`'s callback, else this
    request's own address (as the trusted proxy tells it)."""
    if found.server.public_url:
        return found.server.public_url.rstrip("/") + CALLBACK
    trust = found.server.trust_proxy
    scheme = "https" if is_https(request, trust) else request.url.scheme
    return f"{scheme}://{_host(request, trust)}{CALLBACK}"


@router.get(FLOW_PATH)
async def sign_in_with_provider(request: Request, next: str = "/") -> Response:
    """Send the browser to the provider, remembering the sign-in under a new cookie."""
    try:
        found = await _provider(request)
        url, pending = await run_in_threadpool(
            oidc.begin, found, _redirect_uri(request, found), local_path(next)
        )
    except SignInProviderError as exc:
        return _provider_fault(request, local_path(next), exc)
    response = RedirectResponse(url, status_code=303)
    key = request.app.state.pending_sign_ins.keep(pending)
    set_cookie(
        response,
        request,
        found.server,
        key,
        name=FLOW_COOKIE,
        path=FLOW_PATH,
        max_age=PENDING_SECONDS,
    )
    return response


def _provider_fault(request: Request, next_path: str, exc: SignInProviderError) -> HTMLResponse:
    """The sign-in form saying that the provider failed (502); the log has it too."""
    log.warning("sign-in through the provider failed: %s", exc)
    return _form(request, None, next_path, error=str(exc), status=502)


@router.get(CALLBACK)
async def provider_callback(request: Request) -> Response:
    """The browser back from the provider: check its answer, find the user, start a session
    and go on to the page asked for; a refusal shows the sign-in form with why."""
    pending = request.app.state.pending_sign_ins.take(request.cookies.get(FLOW_COOKIE))
    if pending is None:
        error = "this sign-in was not started here, or took over 10 minutes; start it again"
        return _form(request, None, "/", error=error, status=400)
    served: Served = request.app.state.served
    try:
        found = await _provider(request)
        claims = await run_in_threadpool(oidc.identify, found, pending, dict(request.query_params))
        async with served.turn(writes=True) as ws:
            new = await run_in_threadpool(
                partial(
                    oidc.sign_in_identity,
                    ws,
                    claims,
                    request_id=request_id(request),
                    replacing=session_cookie(request),
                )
            )
    except (AuthenticationError, UsageError) as exc:
        return _form(request, None, pending.next_path, error=str(exc), status=401)
    except SignInProviderError as exc:
        return _provider_fault(request, pending.next_path, exc)
    response = RedirectResponse(pending.next_path, status_code=303)
    set_cookie(response, request, found.server, new.secret)
    clear_cookie(response, FLOW_COOKIE, FLOW_PATH)
    return response
