"""Sessions for the HTML pages: who is signed in (`SIGNED_IN`), their CSRF token
(`csrf_token`, the `CSRF` check of every form write), and the session cookie itself.

A page depends on `SIGNED_IN`; without a valid session (none, ended, or its user disabled)
the browser is sent to `/signin?next=<the page>` (303). A form write depends on `CSRF` too:
its form field `csrf_token` (or, from htmx, the header `X-CSRF-Token`) must be the session's,
or it is refused with 403 and code `csrf`. The cookie `productops_session` is HttpOnly,
SameSite=Lax, Path=/, and Secure when the request came over https (or a trusted proxy says
so, `[server] trust_proxy`). docs/server.md, "Signing in".
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from html import escape
from typing import TYPE_CHECKING, Literal
from urllib.parse import quote

from fastapi import FastAPI, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from productops.errors import AuthenticationError
from productops.services import sessions
from productops.services.actor import Actor
from productops.services.users import Access
from productops.web.auth import (
    COOKIE,
    CSRF_HEADER,
    SAFE_METHODS,
    WorkspaceDep,
    check_csrf,
    session_cookie,
)
from productops.web.errors import CSRFError, error_response
from productops.web.request_id import request_id

if TYPE_CHECKING:
    from productops.workspace import Workspace

__all__ = [
    "COOKIE",
    "CSRF",
    "SIGNED_IN",
    "Csrf",
    "SignInRequired",
    "SignedIn",
    "clear_cookie",
    "csrf_token",
    "install",
    "is_https",
    "local_path",
    "set_cookie",
]


class SignInRequired(Exception):
    """A page asked for without a valid session; answered with a 303 to `/signin`."""


@dataclass(frozen=True)
class SignedIn:
    """The rule of a page: the `Access` of the signed-in user (acting in this request), or
    `SignInRequired`. Pages take no API token: a browser has none."""

    action: Literal["signed_in"] = "signed_in"

    def __call__(self, request: Request, ws: WorkspaceDep) -> Access:
        cookie = session_cookie(request)
        if cookie is None:
            raise SignInRequired
        try:
            access = sessions.authenticate_session(ws, cookie)
        except AuthenticationError:
            raise SignInRequired from None
        return replace(access, actor=Actor(access.actor.id, request_id(request)))


SIGNED_IN = SignedIn()


@dataclass(frozen=True)
class Csrf:
    """The check of a page's write: POST, PUT, PATCH and DELETE need the session's CSRF token
    in the form field `csrf_token` or the header `X-CSRF-Token`."""

    async def __call__(self, request: Request) -> None:
        if request.method in SAFE_METHODS:
            return
        given = request.headers.get(CSRF_HEADER)
        if given is None and _is_form(request):
            field = (await request.form()).get("csrf_token")
            given = field if isinstance(field, str) else None
        check_csrf(request, given)


CSRF = Csrf()


def _is_form(request: Request) -> bool:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return kind in ("application/x-www-form-urlencoded", "multipart/form-data")


def csrf_token(request: Request) -> str:
    """The CSRF token of the request's session, for the hidden `csrf_token` of its forms."""
    cookie = session_cookie(request)
    if cookie is None:
        raise SignInRequired
    return sessions.csrf_token(cookie)


def local_path(target: str | None) -> str:
    """`target` if it is a path on this server (where to go after signing in), else `/`.

    >>> local_path("/scorecard?team=payments"), local_path("//evil.example/"), local_path(None)
    ('/scorecard?team=payments', '/', '/')
    """
    if (
        not target
        or not target.startswith("/")
        or target.startswith(("//", "/\\"))
        or any(c < " " or c == "\\" for c in target)
    ):
        return "/"
    return target


def is_https(request: Request, trust_proxy: bool) -> bool:
    """Whether the browser reached the server over https: the request's own scheme, or the
    first `X-Forwarded-Proto` when the proxy in front is trusted."""
    if request.url.scheme == "https":
        return True
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return trust_proxy and forwarded == "https"


def set_cookie(response: Response, request: Request, ws: Workspace, secret: str) -> None:
    """Give the browser its new session cookie."""
    settings = ws.config.server
    response.set_cookie(
        COOKIE,
        secret,
        max_age=round(settings.session_hours * 3600),
        path="/",
        secure=settings.secure_cookies == "always" or is_https(request, settings.trust_proxy),
        httponly=True,
        samesite="lax",
    )


def clear_cookie(response: Response) -> None:
    """Tell the browser to forget its session cookie."""
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax")


def _to_sign_in(request: Request, exc: Exception) -> Response:
    wanted = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    response = RedirectResponse(f"/signin?next={quote(wanted, safe='/')}", status_code=303)
    if session_cookie(request) is not None:
        clear_cookie(response)
    return response


_REFUSED = """<!doctype html>
<html lang="en"><meta charset="utf-8"><title>Refused - productops</title>
<h1>This form was refused</h1>
<p>{message}</p>
<p>Go back, reload the page and send it again; or <a href="/signin">sign in</a>.</p>
</html>
"""


def _csrf_refused(request: Request, exc: Exception) -> Response:
    """A short page for a browser's form, the JSON error for anything else."""
    browser = "text/html" in request.headers.get("accept", "")
    if browser and not request.url.path.startswith("/api/") and "hx-request" not in request.headers:
        return HTMLResponse(_REFUSED.format(message=escape(str(exc))), status_code=403)
    return error_response(403, "csrf", str(exc))


def install(app: FastAPI) -> None:
    """Answer `SignInRequired` with a redirect to the sign-in page, and a refused CSRF check
    of a browser's form with a short page."""
    app.add_exception_handler(SignInRequired, _to_sign_in)
    app.add_exception_handler(CSRFError, _csrf_refused)
