"""Security headers on every response (a Content-Security-Policy without inline scripts or
styles: the pages load only their own files) and error pages for browsers: an error answering
a browser (it accepts HTML) outside the API is an HTML page with the status and one-line
message the API would give; anyone else gets the JSON error."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, Response
from starlette.exceptions import HTTPException

from productops.errors import ProductOpsError

__all__ = ["CSP", "install"]

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
_PAGE = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" '
    'content="width=device-width, initial-scale=1"><title>{status} · productops</title>'
    '<link rel="stylesheet" href="/static/app.css"></head><body><main><h1>{status}</h1>'
    '<p role="alert">{message}</p><p><a href="/">Home</a></p></main></body></html>'
)


def _is_page(request: Request) -> bool:
    """A browser asking for a page (not the API, nor a client that wants JSON)."""
    accepts = request.headers.get("accept", "")
    return "text/html" in accepts and not request.url.path.startswith("/api/")


def _html(response: Response) -> Response:
    body = json.loads(bytes(response.body))
    message = body.get("error", {}).get("message", "")
    escaped = message.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    page = _PAGE.format(status=response.status_code, message=escaped)
    headers = {k: v for k, v in response.headers.items() if k.lower() in ("retry-after",)}
    return HTMLResponse(page, response.status_code, headers=headers)


def install(app: FastAPI) -> None:
    """Add the headers to every response of `app`, and answer page errors in HTML."""

    @app.middleware("http")
    async def secure(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    for kind in (ProductOpsError, RequestValidationError, HTTPException, Exception):
        as_json = app.exception_handlers[kind]

        def handler(request: Request, exc: Exception, as_json=as_json) -> Response:  # type: ignore[no-untyped-def]
            response = as_json(request, exc)
            return _html(response) if _is_page(request) else response

        app.add_exception_handler(kind, handler)
