"""Each request's id: the caller's `X-Request-Id` when it is a short plain token, else a new
one; echoed back in the response's `X-Request-Id` and kept with every audit row the request
writes (`Allow` hands it to the service in the `Actor`)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response

__all__ = ["HEADER", "install", "request_id"]

HEADER = "X-Request-Id"
_GIVEN = re.compile(r"[A-Za-z0-9._:-]{1,64}")


def request_id(request: Request) -> str:
    """The id of `request` (set by the middleware `install` adds)."""
    ident: str = request.state.request_id
    return ident


def install(app: FastAPI) -> None:
    """Give every request of `app` an id and echo it in the response."""

    @app.middleware("http")
    async def name_request(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        given = request.headers.get(HEADER, "")
        request.state.request_id = given if _GIVEN.fullmatch(given) else uuid.uuid4().hex
        response = await call_next(request)
        response.headers[HEADER] = request.state.request_id
        return response
