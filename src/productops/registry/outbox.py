"""The outbox in the store: queue messages once per idempotency key, claim the next due one,
mark it sent, pending again (with when) or dead, queue a dead one again, list them
(docs/notify.md).

Plain SQL, like `usage.py`: the rows are productops's own. Queueing is
`INSERT ... ON CONFLICT (idempotency_key) DO NOTHING` against the unique index, so the same
alert or digest queued twice leaves one row. A claim is a lease: the row becomes `sending`,
held by `HOST:PID` until `next_attempt_at`; a sender takes a `sending` row only once its lease
has run out or its holder's process is gone, so a crashed sender's message is sent again and
a live one's is not.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from productops.engine import Store
from productops.registry.rows import SOURCE

__all__ = [
    "OutboxRow",
    "Queued",
    "claim_next",
    "enqueue",
    "find",
    "list_outbox",
    "mark",
    "requeue",
]

_COLUMNS = (
    "id, idempotency_key, channel, recipient, audience, kind, subject, payload, status, attempts, "
    "next_attempt_at, claimed_by, last_error, created_at, sent_at"
)


@dataclass(frozen=True)
class Queued:
    """A message to queue: its key, channel, recipient (an e-mail address or None), audience,
    kind, subject and payload (`channels.Message.to_json()`)."""

    idempotency_key: str
    channel: str
    recipient: str | None
    audience: str
    kind: str
    subject: str
    payload: str


@dataclass(frozen=True)
class OutboxRow:
    """One outbox row as stored."""

    id: str
    idempotency_key: str
    channel: str
    recipient: str | None
    audience: str | None
    kind: str
    subject: str
    payload: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    claimed_by: str | None
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


def enqueue(store: Store, messages: Sequence[Queued], now: datetime) -> list[str]:
    """Queue each message whose key is not in the outbox yet; returns the keys queued now."""
    queued = []
    for m in messages:
        rows = store.sql(
            f"INSERT INTO outbox ({_COLUMNS}, source, ingested_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, NULL, NULL, ?, NULL, ?, ?) "
            "ON CONFLICT (idempotency_key) DO NOTHING RETURNING idempotency_key",
            [
                uuid.uuid4().hex,
                m.idempotency_key,
                m.channel,
                m.recipient,
                m.audience,
                m.kind,
                m.subject,
                m.payload,
                now,
                now,
                SOURCE,
                now,
            ],
        )
        queued += [r[0] for r in rows]
    return queued


def claim_next(
    store: Store, now: datetime, holder: str, lease: float, gone: Callable[[str], bool]
) -> OutboxRow | None:
    """Take the oldest due message for `holder` for `lease` seconds (attempts + 1), or None.

    Due: `pending` from its `next_attempt_at`, or `sending` whose lease has ended or whose
    holder is `gone` (its process died mid-send).
    """
    with store.transaction():
        rows = store.sql(
            "SELECT id, status, claimed_by, next_attempt_at FROM outbox "
            "WHERE status IN ('pending', 'sending') ORDER BY next_attempt_at, created_at, id"
        )
        for ident, status, claimed_by, due in rows:
            if status == "pending" and due > now:
                continue
            if status == "sending" and due > now and not gone(claimed_by or ""):
                continue
            store.sql(
                "UPDATE outbox SET status = 'sending', attempts = attempts + 1, claimed_by = ?, "
                "next_attempt_at = ?, ingested_at = ? WHERE id = ?",
                [holder, now + timedelta(seconds=lease), now, ident],
            )
            return _load(store, ident)
    return None


def mark(
    store: Store,
    ident: str,
    status: str,
    now: datetime,
    *,
    next_attempt_at: datetime | None = None,
    error: str | None = None,
) -> OutboxRow:
    """Set the message's status: `sent` (at `now`), `pending` again from `next_attempt_at`,
    or `dead`; `error` is kept as `last_error`. The claim is released."""
    store.sql(
        "UPDATE outbox SET status = ?, claimed_by = NULL, next_attempt_at = ?, "
        "last_error = coalesce(?, last_error), sent_at = ?, ingested_at = ? WHERE id = ?",
        [status, next_attempt_at, error, now if status == "sent" else None, now, ident],
    )
    return _load(store, ident)


def requeue(store: Store, ident: str, now: datetime) -> OutboxRow:
    """Make the message `pending` from `now` with no tries counted (its last error is kept)."""
    store.sql(
        "UPDATE outbox SET status = 'pending', attempts = 0, claimed_by = NULL, "
        "next_attempt_at = ?, ingested_at = ? WHERE id = ?",
        [now, now, ident],
    )
    return _load(store, ident)


def find(store: Store, ident: str) -> OutboxRow | None:
    """The message with id `ident`, if any."""
    rows = store.sql(f"SELECT {_COLUMNS} FROM outbox WHERE id = ?", [ident])
    return OutboxRow(*rows[0]) if rows else None


def _load(store: Store, ident: str) -> OutboxRow:
    found = find(store, ident)
    assert found is not None, ident  # the caller just wrote it
    return found


def list_outbox(store: Store, status: str | None = None, limit: int = 100) -> list[OutboxRow]:
    """Messages, newest first: all, or those with `status`."""
    where, params = ("WHERE status = ?", [status]) if status else ("", [])
    rows = store.sql(
        f"SELECT {_COLUMNS} FROM outbox {where} ORDER BY created_at DESC, id LIMIT ?",
        [*params, limit],
    )
    return [OutboxRow(*r) for r in rows]
