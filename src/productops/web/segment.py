"""A Segment-compatible HTTP endpoint: `POST /v1/track`, `/v1/identify`, `/v1/page` (one call)
and `/v1/batch` (`{"batch": [calls]}`), at Segment's paths, so that a Segment or RudderStack
pipeline sends events straight in (docs/import.md, "Product events").

A sender authenticates as Segment's HTTP API asks: HTTP Basic with the write key as user name
and an empty password (`WRITE_KEY`). Each request lands in one store turn through
`services.events.receive_segment` and is answered `{"success": true}`; a body over Segment's
500 KB is refused (413), a call over 32 KB too (400), nothing stored.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from productops.errors import AuthenticationError, UsageError
from productops.services.actor import Actor
from productops.services.events import BATCH_LIMIT_BYTES, receive_segment, segment_sender
from productops.web.auth import WorkspaceDep
from productops.web.errors import SEGMENT_PATHS
from productops.web.request_id import request_id

__all__ = ["WRITE_KEY", "WriteKey", "router"]

_NO_KEY = (
    "no write key: send it as the user name of HTTP Basic authentication with an empty "
    "password (Authorization: Basic base64(KEY:)), as Segment's libraries do"
)


@dataclass(frozen=True)
class WriteKey:
    """The rule of the Segment routes: a write key of `[server] segment_write_keys` (no API
    token or session); the request acts as `writekey:NAME`."""

    action: Literal["write_key"] = "write_key"

    def __call__(self, request: Request, ws: WorkspaceDep) -> Actor:
        scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic" or not encoded:
            raise AuthenticationError(_NO_KEY)
        try:
            key = base64.b64decode(encoded, validate=True).decode().partition(":")[0]
        except (binascii.Error, UnicodeDecodeError):
            raise AuthenticationError(_NO_KEY) from None
        sender = segment_sender(ws, key)
        return Actor(sender.id, request_id(request))


WRITE_KEY = WriteKey()
router = APIRouter(prefix=SEGMENT_PATHS.rstrip("/"), include_in_schema=False)
Sender = Annotated[Actor, Depends(WRITE_KEY)]


async def _body(request: Request) -> Any:
    body = await request.body()
    if len(body) > BATCH_LIMIT_BYTES:
        raise HTTPException(
            413,
            f"the request is {len(body)} bytes, over Segment's limit of {BATCH_LIMIT_BYTES} "
            "bytes per batch; send fewer calls per batch",
        )
    try:
        return json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"{request.url.path}: the body is not JSON ({exc})") from None


async def _receive(request: Request, ws: WorkspaceDep, sender: Actor, kind: str) -> dict[str, bool]:
    call = await _body(request)
    if not isinstance(call, dict):
        raise UsageError(f"{request.url.path}: expected a JSON object (a {kind} call)")
    call.setdefault("type", kind)
    where = f"POST {request.url.path}"
    await run_in_threadpool(receive_segment, ws, sender, [call], where)
    return {"success": True}


@router.post("/track")
async def track(request: Request, ws: WorkspaceDep, sender: Sender) -> dict[str, bool]:
    """A track call: one event."""
    return await _receive(request, ws, sender, "track")


@router.post("/identify")
async def identify(request: Request, ws: WorkspaceDep, sender: Sender) -> dict[str, bool]:
    """An identify call: a user's traits."""
    return await _receive(request, ws, sender, "identify")


@router.post("/page")
async def page(request: Request, ws: WorkspaceDep, sender: Sender) -> dict[str, bool]:
    """A page call: a page view."""
    return await _receive(request, ws, sender, "page")


@router.post("/batch")
async def batch(request: Request, ws: WorkspaceDep, sender: Sender) -> dict[str, bool]:
    """Many calls at once: `{"batch": [call, ...]}`, each with its `type`."""
    body = await _body(request)
    calls = body.get("batch") if isinstance(body, dict) else None
    if not isinstance(calls, list):
        raise UsageError('/v1/batch: expected {"batch": [call, ...]}')
    await run_in_threadpool(receive_segment, ws, sender, calls, "POST /v1/batch")
    return {"success": True}
