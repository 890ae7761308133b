"""Notifications: the outbox every alert and digest goes through, and users' mutes.

Kept by productops itself (`system`): only `productops.registry.outbox` writes them. The outbox's
`idempotency_key` is unique in the store (migration 11), so queueing the same alert or digest
twice leaves one row. docs/notify.md says how a message moves from `pending` to `sent` or `dead`.
"""

from __future__ import annotations

from typing import Literal, get_args

from productops.schema.model import COMMON_COLUMNS, Table
from productops.schema.model import Column as C

__all__ = ["OUTBOX_STATUSES", "OUTBOX_TABLES", "OutboxStatus"]

OutboxStatus = Literal["pending", "sending", "sent", "dead"]
OUTBOX_STATUSES: tuple[str, ...] = get_args(OutboxStatus)


def _t(name: str, doc: str, key: tuple[str, ...], *cols: C) -> Table:
    return Table(name, "notify", doc, key, (*cols, *COMMON_COLUMNS), qualified=False, system=True)


OUTBOX_TABLES = (
    _t(
        "outbox",
        "One message to one recipient on one channel, kept until it is sent or dead.",
        ("id",),
        C("id", required=True, doc="Message id (random hex)."),
        C(
            "idempotency_key",
            required=True,
            doc="Unique: what the message is and to whom; receivers see it (docs/notify.md).",
        ),
        C("channel", required=True, doc="Channel name under [notify.channels]."),
        C("recipient", doc="E-mail address, or empty for a Slack or webhook channel."),
        C("audience", doc="org, team:ID or user:NAME: whom the subscription serves."),
        C("kind", required=True, doc="alert.KIND, digest.team, digest.org or test."),
        C("subject", required=True, doc="One line: the e-mail subject, the Slack header."),
        C("payload", "json", "The message's content, channel-neutral (channels.message)."),
        C("status", required=True, choices=OUTBOX_STATUSES, doc="pending, sending, sent, dead."),
        C("attempts", "int", "Sends tried so far."),
        C("next_attempt_at", "timestamp", "Due from (pending) or lease end (sending)."),
        C("claimed_by", doc="HOST:PID of the sender holding it while `sending`."),
        C("last_error", doc="The last failure, one line, secrets masked."),
        C("created_at", "timestamp", required=True),
        C("sent_at", "timestamp", "When the receiver accepted it."),
    ),
    _t(
        "notify_mute",
        "A user who asked not to get a kind of notification (all of them: kind *).",
        ("user_id", "kind"),
        C("user_id", required=True, ref="app_user"),
        C("kind", required=True, doc="* (everything), digest, or an alert kind."),
        C("muted_at", "timestamp", required=True),
    ),
)
