"""Every error of the API as `{"error": {"code": ..., "message": ...}}`, never a traceback.

A 4xx means the caller got something wrong; a 5xx only a fault of the server, whose details go
to the server's log, not to the caller.

| code | status | raised by |
| --- | --- | --- |
| `invalid` | 400, 422 | a `UsageError` or `ImportFileError`; a query parameter of the wrong type |
| `unauthenticated` | 401 | no token; an unknown, expired or revoked one; a disabled user |
| `forbidden` | 403 | `NotAllowedError`: the role, teams or token scope do not allow it |
| `csrf` | 403 | `CSRFError`: a write through the session cookie without the session's CSRF token |
| `not_found` | 404 | no such route; `NotFoundError`: an unknown id (decision, survey, ...) |
| `conflict` | 409 | `ConflictError`: the object's state does not allow the write |
| `busy` | 503 | `StoreBusyError`: another process (a long command) held the store past the wait |
| `server_error` | 500 | anything else, including the workspace's own errors |
"""

from __future__ import annotations

import logging
from typing import Literal

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from productops.errors import (
    AuthenticationError,
    ConflictError,
    ImportFileError,
    NotAllowedError,
    NotFoundError,
    ProductOpsError,
    StoreBusyError,
    UsageError,
)

__all__ = ["ERROR_RESPONSES", "CSRFError", "ErrorBody", "error_response", "install"]

log = logging.getLogger("productops.web")

Code = Literal[
    "invalid",
    "unauthenticated",
    "forbidden",
    "csrf",
    "not_found",
    "conflict",
    "busy",
    "server_error",
]
_BY_STATUS: dict[int, Code] = {401: "unauthenticated", 403: "forbidden", 404: "not_found"}
_BY_STATUS |= {409: "conflict"}
SERVER_FAULT = "the server failed to answer; its log has the details"
BUSY = "another process (a long command) holds the workspace's store; retry shortly"
RETRY_AFTER = 2  # seconds a caller told `busy` waits before it asks again
SEGMENT_PATHS = "/v1/"  # Segment's own routes (web.segment), outside the API's /api/v1


class CSRFError(ProductOpsError):
    """A write that came with the session cookie but without the session's CSRF token: it may
    have been sent by another site the browser visited (docs/server.md, "CSRF")."""


class ErrorDetail(BaseModel):
    """A stable code to act on and a one-line message for people."""

    code: Code
    message: str


class ErrorBody(BaseModel):
    """The body of every error response."""

    error: ErrorDetail


ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    status: {"model": ErrorBody, "description": description}
    for status, description in [
        (400, "The request cannot be used (code invalid)."),
        (401, "No valid token: missing, unknown, expired or revoked, or a disabled user."),
        (
            403,
            "The role, teams or token scope do not allow this (code forbidden); or a write "
            "through the session cookie lacks its X-CSRF-Token (code csrf).",
        ),
        (404, "No such route, or an unknown id (code not_found)."),
        (409, "The object's state does not allow this write (code conflict)."),
        (422, "A parameter has the wrong type or range (code invalid)."),
        (500, "A fault of the server (code server_error)."),
        (503, "Another process holds the workspace's store; retry after Retry-After seconds."),
    ]
}


def error_response(
    status: int, code: Code, message: str, challenge: str = "Bearer"
) -> JSONResponse:
    """The JSON error response, its message on one line; a 401 names the scheme `challenge`."""
    line = " ".join(message.split())
    headers = {401: {"WWW-Authenticate": challenge}, 503: {"Retry-After": str(RETRY_AFTER)}}
    body = ErrorBody(error=ErrorDetail(code=code, message=line))
    return JSONResponse(body.model_dump(), status_code=status, headers=headers.get(status))


def _product_ops_error(request: Request, exc: Exception) -> JSONResponse:
    if isinstance(exc, CSRFError):
        return error_response(403, "csrf", str(exc))
    if isinstance(exc, AuthenticationError):
        # Segment's own paths (web.segment) take a write key by HTTP Basic, the rest a token
        segment = request.url.path.startswith(SEGMENT_PATHS)
        challenge = 'Basic realm="segment"' if segment else "Bearer"
        return error_response(401, "unauthenticated", str(exc), challenge)
    if isinstance(exc, NotAllowedError):
        return error_response(403, "forbidden", str(exc))
    if isinstance(exc, NotFoundError):
        return error_response(404, "not_found", str(exc))
    if isinstance(exc, ConflictError):
        return error_response(409, "conflict", str(exc))
    if isinstance(exc, UsageError | ImportFileError):
        return error_response(400, "invalid", str(exc))
    if isinstance(exc, StoreBusyError):
        log.warning("%s %s: %s", request.method, request.url.path, exc)
        return error_response(503, "busy", BUSY)
    return _server_error(request, exc)  # the server's workspace, config or engine


def _server_error(request: Request, exc: Exception) -> JSONResponse:
    log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
    return error_response(500, "server_error", SERVER_FAULT)


def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0]
    where = " ".join(str(part) for part in first["loc"])
    more = f" (and {len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
    return error_response(422, "invalid", f"{where}: {first['msg']}{more}")


def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    code = _BY_STATUS.get(exc.status_code, "invalid" if exc.status_code < 500 else "server_error")
    message = "no such route; see /api/v1/openapi.json" if exc.status_code == 404 else exc.detail
    return error_response(exc.status_code, code, str(message))


def install(app: FastAPI) -> None:
    """Answer every error of `app` as an `ErrorBody`."""
    app.add_exception_handler(ProductOpsError, _product_ops_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _server_error)
