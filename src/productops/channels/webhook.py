"""Generic webhooks: a `Message` as JSON, POSTed with an HMAC-SHA256 signature and a timestamp.

Headers sent with every request:

- `X-Productops-Timestamp`: Unix seconds when it was signed;
- `X-Productops-Signature`: `v1=` and the hex HMAC-SHA256, keyed with the channel's secret,
  of the bytes `TIMESTAMP.BODY` (the timestamp header, a dot, the raw body);
- `Idempotency-Key`: the message's key, also the body's `id`; a message sent again after a
  crash carries the same key, so a receiver keeps the first and acknowledges the others.

A receiver checks with `verify_signature` (or the same steps in its own language, docs/notify.md):
recompute the HMAC, compare in constant time, and refuse a timestamp further than the replay
window (`TOLERANCE_SECONDS`) from its clock.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from productops.channels.message import Message

__all__ = [
    "KEY_HEADER",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "TOLERANCE_SECONDS",
    "sign",
    "verify_signature",
    "webhook_body",
    "webhook_headers",
]

TIMESTAMP_HEADER = "X-Productops-Timestamp"
SIGNATURE_HEADER = "X-Productops-Signature"
KEY_HEADER = "Idempotency-Key"
TOLERANCE_SECONDS = 300


def webhook_body(message: Message, key: str) -> bytes:
    """The JSON body: `id` (the idempotency key), `kind`, `subject`, `summary`, `link`, `parts`.
    Charts are left out: they are for e-mail."""
    data: dict[str, Any] = {
        "id": key,
        "kind": message.kind,
        "subject": message.subject,
        "summary": message.summary,
        "link": message.link,
        "parts": [
            {"title": p.title, "lines": list(p.lines), "fields": dict(p.fields)}
            for p in message.parts
        ],
    }
    return json.dumps(data, sort_keys=True, separators=(",", ":")).encode()


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header's value for `body` sent at `timestamp` (Unix seconds).

    >>> sign("s3cret", 1700000000, b'{"id":"k"}')
    'v1=51bbebc02f3cc35dc1d28b16f291a87ac1ef475e2d6e0010aa21dc774e7909cf'
    """
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "v1=" + mac.hexdigest()


def webhook_headers(secret: str, timestamp: int, body: bytes, key: str) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(secret, timestamp, body),
        KEY_HEADER: key,
    }


def verify_signature(
    secret: str,
    timestamp: str,
    body: bytes,
    signature: str,
    now: float,
    tolerance: float = TOLERANCE_SECONDS,
) -> bool:
    """Whether `signature` is productops's for `body` at `timestamp`, and `timestamp` is within
    `tolerance` seconds of `now` (a replayed request fails once the window has passed)."""
    if not timestamp.isdecimal() or abs(now - int(timestamp)) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, int(timestamp), body), signature)
