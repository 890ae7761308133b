"""Notifications through the outbox: who gets what, queueing once per key, delivering with
retries, the dead letters admins see and send again, users' mutes, a channel's test
(docs/notify.md).

Delivery is at least once: a message is marked `sent` only after its receiver accepted it, so
a sender killed mid-send leaves it `sending` under a lease that a later sender takes over
(at once when the killed process is gone). Every message carries its idempotency key to the
receiver (webhook `Idempotency-Key` header and body `id`, e-mail `Message-ID` derived from it,
Slack `ref` in the last block), so a message sent twice that way is shown once.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from productops.channels import Message, send
from productops.config import ALERT_KINDS
from productops.errors import (
    ConfigError,
    ConflictError,
    DeliveryError,
    NotFoundError,
    ProductOpsError,
    UsageError,
)
from productops.registry.outbox import (
    OutboxRow,
    Queued,
    claim_next,
    enqueue,
    find,
    list_outbox,
    mark,
)
from productops.registry.outbox import requeue as requeue_row
from productops.services import audit
from productops.services.users import Access, authorize, find_user, list_tokens

if TYPE_CHECKING:
    from productops.services.actor import Actor
    from productops.workspace import Workspace

__all__ = [
    "MUTE_KINDS",
    "Attempt",
    "Delivery",
    "OutboxEntry",
    "Recipient",
    "deliver",
    "mute",
    "outbox",
    "queue",
    "recipients",
    "requeue",
    "send_test",
    "unmute",
]

MUTE_KINDS = ("*", "digest", *ALERT_KINDS)
Clock = Callable[[], datetime]


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Recipient:
    """Where one subscription sends: a channel, an e-mail address (e-mail channels) and whom it
    serves (`org`, `team:ID` or `user:NAME`)."""

    channel: str
    to: str | None
    audience: str


@dataclass(frozen=True)
class OutboxEntry:
    """A queued message as admins see it (its content left out)."""

    id: str
    idempotency_key: str
    channel: str
    recipient: str | None
    kind: str
    subject: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


@dataclass(frozen=True)
class Attempt:
    """One send: the message, and its status after it (`sent`, `pending` again, or `dead`)."""

    id: str
    idempotency_key: str
    channel: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    error: str | None


@dataclass(frozen=True)
class Delivery:
    """What one run of the sender did, in order."""

    attempts: list[Attempt]

    @property
    def sent(self) -> int:
        return sum(a.status == "sent" for a in self.attempts)

    @property
    def dead(self) -> int:
        return sum(a.status == "dead" for a in self.attempts)


def recipients(ws: Workspace, team: str | None, kind: str) -> list[Recipient]:
    """Who gets a notification of `kind` (an alert kind, or `digest`) about `team` (None: the
    organisation), per `[[notify.subscriptions]]`, leaving out muted and disabled users.

    Alerts: the team's subscriptions, its members' and the organisation's (which get every
    alert). Digests: a team's digest goes to the team's and its members' subscriptions, the
    organisation's digest to the organisation's.
    """
    digest = kind == "digest"
    members = {
        u: t
        for u, t in ws.store.sql(
            "SELECT m.user_id, list(m.team_id) FROM app_user_team m JOIN app_user u "
            "ON u.id = m.user_id WHERE u.disabled_at IS NULL GROUP BY m.user_id"
        )
    }
    muted = {(u, k) for u, k in ws.store.sql("SELECT user_id, kind FROM notify_mute")}
    found: list[Recipient] = []
    for sub in ws.config.notify.subscriptions:
        if not (sub.digests if digest else kind in sub.alerts):
            continue
        if sub.org:
            wanted, audience = not digest or team is None, "org"
        elif sub.team is not None:
            wanted, audience = team is not None and sub.team == team, f"team:{sub.team}"
        else:
            user = str(sub.user)
            wanted = team is not None and team in members.get(user, [])
            wanted = wanted and not ({(user, "*"), (user, kind)} & muted)
            audience = f"user:{user}"
        if wanted:
            found.append(Recipient(sub.channel, sub.to, audience))
    return list(dict.fromkeys(found))


def queue(
    ws: Workspace,
    actor: Actor,
    action: str,
    items: Sequence[tuple[str, Message, str | None]],
    now: datetime,
) -> list[str]:
    """Queue each `(key, message, team)` for its recipients (`recipients`), as keys
    `KEY|CHANNEL|ADDRESS-OR-AUDIENCE`; a key already in the outbox is skipped, so running the
    same step again queues nothing. Returns the keys queued now (a write when any: one audit
    row `action` as `actor`'s, with the keys)."""
    rows = []
    for key, message, team in items:
        kind = (
            "digest" if message.kind.startswith("digest") else message.kind.removeprefix("alert.")
        )
        for r in recipients(ws, team, kind):
            rows.append(
                Queued(
                    f"{key}|{r.channel}|{r.to or r.audience}",
                    r.channel,
                    r.to,
                    r.audience,
                    message.kind,
                    message.subject,
                    message.to_json(),
                )
            )
    with ws.store.transaction():
        queued = enqueue(ws.store, rows, now)
        if queued:
            audit.record(ws, actor, action, "outbox", None, {"queued": queued})
    return queued


def _entry(row: OutboxRow) -> OutboxEntry:
    return OutboxEntry(
        row.id,
        row.idempotency_key,
        row.channel,
        row.recipient,
        row.kind,
        row.subject,
        row.status,
        row.attempts,
        row.next_attempt_at,
        row.last_error,
        row.created_at,
        row.sent_at,
    )


def outbox(ws: Workspace, status: str | None = None, limit: int = 100) -> list[OutboxEntry]:
    """The outbox, newest first: every message, or those with `status` (`dead`: the ones that
    failed `[notify] max_attempts` times or could never be sent, with their last error)."""
    if status not in (None, "pending", "sending", "sent", "dead"):
        raise UsageError(f"status {status!r}: use pending, sending, sent or dead")
    return [_entry(r) for r in list_outbox(ws.store, status, limit)]


def requeue(ws: Workspace, access: Access, ident: str, clock: Clock = _now) -> OutboxEntry:
    """Send a dead message again (admins, once its channel is mended): `pending` from now, its
    tries counted afresh, its last error kept until the next try. One audit row
    (`notify.requeue`); a message not dead is a `ConflictError`."""
    authorize(access, "admin")
    with ws.store.transaction():
        found = find(ws.store, ident)
        if found is None:
            raise NotFoundError(
                f"no message {ident!r} in the outbox; see `productops notify outbox`"
            )
        if found.status != "dead":
            raise ConflictError(
                f"message {ident} is {found.status}: only a dead message is requeued"
            )
        after = requeue_row(ws.store, ident, clock())
        audit.record(
            ws,
            access.actor,
            "notify.requeue",
            f"outbox:{ident}",
            {"status": found.status, "attempts": found.attempts},
            {"status": after.status, "attempts": after.attempts},
        )
    return _entry(after)


def _holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _gone(holder: str) -> bool:
    """Whether the sender `HOST:PID` is known to be dead: on this host, no such process."""
    host, _, pid = holder.rpartition(":")
    if host != socket.gethostname() or not pid.isdecimal() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _backoff(ws: Workspace, attempts: int, error: DeliveryError) -> float:
    """Seconds until the next try: the receiver's Retry-After if it gave one, else the
    backoff doubled per failed attempt, up to `[notify] max_backoff_seconds`."""
    settings = ws.config.notify
    if error.retry_after is not None:
        return error.retry_after
    return float(min(settings.backoff_seconds * 2 ** (attempts - 1), settings.max_backoff_seconds))


def _send_one(ws: Workspace, row: OutboxRow, now: datetime) -> None:
    settings = ws.config.notify
    channel = settings.channels.get(row.channel)
    if channel is None:
        raise DeliveryError(f"no channel {row.channel!r} in [notify.channels]", permanent=True)
    message = Message.from_json(row.payload)
    send(
        row.channel,
        channel,
        message,
        row.idempotency_key,
        row.recipient,
        root=ws.root,
        now=now,
        timeout=settings.timeout_seconds,
    )


def deliver(ws: Workspace, actor: Actor, clock: Clock = _now, limit: int = 1000) -> Delivery:
    """Send the due messages, oldest first, up to `limit`: claim one, send it, mark it `sent`,
    or `pending` again after a backoff (a 429's Retry-After honoured), or `dead` after
    `[notify] max_attempts` tries or a failure sending again cannot mend. Each outcome is a
    write with one audit row (`notify.sent`, `notify.retry`, `notify.dead`)."""
    settings = ws.config.notify
    holder = _holder()
    done: list[Attempt] = []
    while len(done) < limit:
        row = claim_next(ws.store, clock(), holder, settings.lease_seconds, _gone)
        if row is None:
            break
        error: DeliveryError | None = None
        try:
            _send_one(ws, row, clock())
        except DeliveryError as exc:
            error = exc
        except (ConfigError, ProductOpsError) as exc:
            error = DeliveryError(str(exc))
        now = clock()
        with ws.store.transaction():
            if error is None:
                after = mark(ws.store, row.id, "sent", now)
                action = "notify.sent"
            elif error.permanent or row.attempts >= settings.max_attempts:
                after = mark(ws.store, row.id, "dead", now, error=str(error))
                action = "notify.dead"
            else:
                due = now + timedelta(seconds=_backoff(ws, row.attempts, error))
                after = mark(
                    ws.store, row.id, "pending", now, next_attempt_at=due, error=str(error)
                )
                action = "notify.retry"
            brief = {"key": row.idempotency_key, "status": after.status, "attempts": after.attempts}
            audit.record(
                ws, actor, action, f"outbox:{row.id}", None, brief | {"error": str(error or "")}
            )
        done.append(
            Attempt(
                row.id,
                row.idempotency_key,
                row.channel,
                after.status,
                after.attempts,
                after.next_attempt_at,
                None if error is None else str(error),
            )
        )
    return Delivery(done)


def send_test(ws: Workspace, actor: Actor, channel: str, to: str | None, now: datetime) -> str:
    """Send a sample message to `channel` now, outside the outbox (an e-mail channel needs
    `to`); a `DeliveryError` says why it was not taken. Returns its key (one audit row)."""
    settings = ws.config.notify
    found = settings.channels.get(channel)
    if found is None:
        known = ", ".join(settings.channels) or "none; add one under [notify.channels]"
        raise NotFoundError(f"no channel {channel!r} in productops.toml; channels: {known}")
    if (found.kind == "email") != (to is not None):
        raise UsageError(
            f"channel {channel} ({found.kind}): "
            + ("give --to ADDRESS" if to is None else "takes no --to")
        )
    key = f"test:{channel}:{now:%Y%m%dT%H%M%S%f}"
    message = Message(
        "test",
        f"productops test message for {channel}",
        f"If you read this, {ws.config.workspace.name} can reach this channel.",
        ws.config.notify.base_url,
    )
    send(channel, found, message, key, to, root=ws.root, now=now, timeout=settings.timeout_seconds)
    with ws.store.transaction():
        audit.record(ws, actor, "notify.test", f"channel:{channel}", None, {"key": key, "to": to})
    return key


def _check_mute(ws: Workspace, access: Access, user: str, kind: str) -> None:
    """Refuse an unknown user or kind, and anyone but `user` themselves (or their token) and
    admins."""
    find_user(ws, user)
    if kind not in MUTE_KINDS:
        raise UsageError(f"kind {kind!r}: use one of {', '.join(MUTE_KINDS)}")
    own = {f"user:{user}", *(f"token:{t.id}" for t in list_tokens(ws, user))}
    if access.actor.id not in own:
        authorize(access, "admin")


def mute(
    ws: Workspace, access: Access, user: str, kind: str = "*", now: datetime | None = None
) -> list[str]:
    """Stop notifications of `kind` (`*`: all, `digest`, or an alert kind) to `user`'s own
    subscriptions; a user mutes themselves, an admin anyone. Returns the user's mutes (a
    write: one audit row)."""
    _check_mute(ws, access, user, kind)
    with ws.store.transaction():
        before = _mutes(ws, user)
        ws.store.sql(
            "INSERT INTO notify_mute (user_id, kind, muted_at, source, ingested_at) "
            "SELECT ?, ?, ?, 'productops', ? WHERE NOT EXISTS "
            "(SELECT 1 FROM notify_mute WHERE user_id = ? AND kind = ?)",
            [user, kind, now or _now(), now or _now(), user, kind],
        )
        after = _mutes(ws, user)
        audit.record(
            ws, access.actor, "notify.mute", f"app_user:{user}", {"muted": before}, {"muted": after}
        )
    return after


def unmute(ws: Workspace, access: Access, user: str, kind: str = "*") -> list[str]:
    """Undo `mute` of `kind` for `user` (`*` lifts every mute). Returns the user's mutes left."""
    _check_mute(ws, access, user, kind)
    with ws.store.transaction():
        before = _mutes(ws, user)
        where = "" if kind == "*" else " AND kind = ?"
        ws.store.sql(
            f"DELETE FROM notify_mute WHERE user_id = ?{where}",
            [user, *([kind] if kind != "*" else [])],
        )
        after = _mutes(ws, user)
        audit.record(
            ws,
            access.actor,
            "notify.unmute",
            f"app_user:{user}",
            {"muted": before},
            {"muted": after},
        )
    return after


def _mutes(ws: Workspace, user: str) -> list[str]:
    rows = ws.store.sql("SELECT kind FROM notify_mute WHERE user_id = ? ORDER BY kind", [user])
    return [r[0] for r in rows]
