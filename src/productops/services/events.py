"""Product events sent to the Segment-compatible endpoint (`/v1/track`, `/v1/batch`, ...).

A write key names who sends (`[server] segment_write_keys`: name -> environment variable
holding the key); `segment_sender` finds its name. `receive_segment` lands one request's
calls in `event` as `productops import event FILE --events segment` lands a file's, so an
event sent and exported later is one row (`segment:messageId`), and audits the request once
as `writekey:NAME`.
"""

from __future__ import annotations

import hmac
import json
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from productops.errors import AuthenticationError, UsageError
from productops.ingest.event_landing import land_events
from productops.ingest.events import segment_row
from productops.ingest.read import Rejection
from productops.services import audit
from productops.services.actor import Actor

if TYPE_CHECKING:
    from productops.workspace import Workspace

__all__ = [
    "BATCH_LIMIT_BYTES",
    "EVENT_LIMIT_BYTES",
    "ReceivedEvents",
    "receive_segment",
    "segment_sender",
]

# Segment's HTTP API limits: 32 KB per call, 500 KB per batch request.
EVENT_LIMIT_BYTES = 32 * 1024
BATCH_LIMIT_BYTES = 500 * 1024


@dataclass(frozen=True)
class ReceivedEvents:
    """What one request's events did: new, changed, already stored (sent again), set aside."""

    received: int
    landed: int
    updated: int
    unchanged: int
    quarantined: int


def segment_sender(ws: Workspace, key: str) -> Actor:
    """The actor `writekey:NAME` of the configured write key `key`; `AuthenticationError` if
    no configured key (whose environment variable is set) is `key`."""
    for name, env in ws.config.server.segment_write_keys.items():
        expected = os.environ.get(env, "")
        if expected and hmac.compare_digest(expected.encode(), key.encode()):
            return Actor(f"writekey:{name}")
    raise AuthenticationError(
        "unknown write key: send a key of [server] segment_write_keys as the user name of "
        "HTTP Basic authentication, with an empty password"
    )


def receive_segment(ws: Workspace, actor: Actor, calls: list[Any], where: str) -> ReceivedEvents:
    """Land Segment `calls` (track, identify, page) in `event`, in one transaction with one
    audit row; a call that is not a valid event is quarantined with its reason, numbered by
    its place in the request (`where`, e.g. `POST /v1/batch`). A call over
    `EVENT_LIMIT_BYTES` (as JSON) refuses the whole request (`UsageError`).

    >>> receive_segment(ws, Actor("writekey:web"), [track], "POST /v1/track").landed  # doctest: +SKIP
    1
    """
    for number, call in enumerate(calls, 1):
        size = len(json.dumps(call, ensure_ascii=False).encode())
        if size > EVENT_LIMIT_BYTES:
            raise UsageError(
                f"{where}: call {number} is {size} bytes, over Segment's limit of "
                f"{EVENT_LIMIT_BYTES} bytes per call; nothing was stored"
            )
    rows: list[tuple[int, tuple[str | None, ...]]] = []
    rejected: list[Rejection] = []
    for number, call in enumerate(calls, 1):
        row = segment_row(call)
        if isinstance(row, str):
            rejected.append(Rejection(number, row, json.dumps(call, ensure_ascii=False)))
        else:
            rows.append((number, row))
    with ws.store.transaction():
        counts = land_events(ws.store, rows, rejected, source="segment", where=where)
        received = ReceivedEvents(
            len(calls), counts.landed, counts.updated, counts.unchanged, counts.quarantined
        )
        audit.record(ws, actor, "event.receive", f"event:{where}", None, vars(received))
    return received
