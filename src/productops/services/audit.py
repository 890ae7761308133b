"""The audit trail: every write appends one `audit_event` row; no code changes or removes one.

`record` is the only writer of the table, and it only inserts (tests/services/test_audit.py
checks that no module of productops updates or deletes `audit_event`). Secrets in the
before and after snapshots are redacted by key (password, token, secret, hash, ...) and by
value (anything that looks like a productops API token).
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from productops.services.actor import Actor

if TYPE_CHECKING:
    from productops.workspace import Workspace

__all__ = ["REDACTED", "TOKEN_PREFIX", "AuditEvent", "events", "record", "redact"]

REDACTED = "[redacted]"
# The start of every API token productops makes (`services.users.create_token`).
TOKEN_PREFIX = "pot_"
_SECRET_KEY = re.compile(
    r"password|passwd|passphrase|secret|token|hash|api_?key|credential|authori[sz]ation|cookie"
    r"|private",
    re.IGNORECASE,
)
_TOKEN_VALUE = re.compile(re.escape(TOKEN_PREFIX) + r"[A-Za-z0-9_-]{16,}")
_COLUMNS = ("id", "at", "actor", "action", "object", "before", "after", "request_id")


@dataclass(frozen=True)
class AuditEvent:
    """One row of the audit trail; `before` is None for a creation."""

    id: str
    at: datetime
    actor: str
    action: str
    object: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    request_id: str | None


def redact(value: Any) -> Any:
    """`value` with every secret-looking key's value and every token-like string redacted.

    >>> redact({"id": "ana", "password_hash": "$argon2id$...", "note": "pot_" + "x" * 40})
    {'id': 'ana', 'password_hash': '[redacted]', 'note': '[redacted]'}
    """
    if isinstance(value, dict):
        return {
            k: REDACTED if _SECRET_KEY.search(str(k)) and v is not None else redact(v)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    if isinstance(value, str):
        return _TOKEN_VALUE.sub(REDACTED, value)
    return value


def _json(snapshot: dict[str, Any] | None) -> str | None:
    if snapshot is None:
        return None
    return json.dumps(redact(snapshot), sort_keys=True, default=_plain)


def _plain(value: Any) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def record(
    ws: Workspace,
    actor: Actor,
    action: str,
    object: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    request_id: str | None = None,
) -> AuditEvent:
    """Append one audit row: `actor` did `action` (e.g. user.add) to `object` (TABLE:ID).

    Call it inside the write's transaction, so that the write and its row land together.
    `request_id` defaults to the actor's (an API request's, `web.request_id`).
    An `anonymous` actor's row (a survey answer) is stamped with its day only, so that the
    trail cannot time an answer against the same person's other writes.

    >>> record(ws, Actor("cli:ana"), "user.disable", "app_user:ben", before, after)  # doctest: +SKIP
    """
    at = datetime.now(UTC)
    request_id = request_id or actor.request_id
    if actor.id == "anonymous":
        at = at.replace(hour=0, minute=0, second=0, microsecond=0)
    event = AuditEvent(
        uuid.uuid4().hex,
        at,
        actor.id,
        action,
        object,
        None if before is None else redact(before),
        None if after is None else redact(after),
        request_id,
    )
    ws.store.sql(
        'INSERT INTO audit_event (id, "at", actor, action, object, before, after, request_id, '
        "source, ingested_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'productops', ?)",
        [
            event.id,
            event.at,
            event.actor,
            action,
            object,
            _json(before),
            _json(after),
            request_id,
            event.at,
        ],
    )
    return event


def events(
    ws: Workspace,
    *,
    user: str | None = None,
    object: str | None = None,
    since: datetime | None = None,
) -> list[AuditEvent]:
    """The audit trail, oldest first.

    `user`: an actor as recorded (`cli:ana`, `token:ana-1`), or a user name, which matches the
    user and their tokens; `object`: a table (`app_user`) or one object (`app_user:ben`);
    `since`: rows at or after this time.
    """
    where: list[str] = ["TRUE"]
    params: list[Any] = []
    if user is not None:
        if ":" in user:
            where.append("actor = ?")
            params.append(user)
        else:
            where.append(
                "(actor = 'user:' || ? OR actor IN "
                "(SELECT 'token:' || id FROM api_token WHERE user_id = ?))"
            )
            params += [user, user]
    if object is not None:
        where.append("(object = ? OR starts_with(object, ? || ':'))")
        params += [object, object]
    if since is not None:
        where.append('"at" >= ?')
        params.append(since)
    columns = ", ".join(f'"{c}"' for c in _COLUMNS)
    rows = ws.store.sql(
        f'SELECT {columns} FROM audit_event WHERE {" AND ".join(where)} ORDER BY "at", id',
        params,
    )
    return [
        AuditEvent(i, at, actor, action, obj, _loads(before), _loads(after), request_id)
        for i, at, actor, action, obj, before, after, request_id in rows
    ]


def _loads(text: str | None) -> dict[str, Any] | None:
    return None if text is None else dict(json.loads(text))
