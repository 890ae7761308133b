"""Activities in the store: log a workshop, session, training, tool onboarding,
retrospective, process review or onboarding of a new member; list them.

Ids: `productops:activity-<kind>-<team>-<UTC time held>` (one activity of a
kind per team and start time; logging it again updates it). Findings of
retrospectives and process reviews go into `notes` as lines `Bottleneck: ...`,
`Action: ...`, `Done: ...`, which `productops.ops.retrospectives` counts.

>>> log_activity(store, team_id="payments", kind="retrospective", title="Sprint 12 retro",
...              held_at=now, bottlenecks=["Review wait"], actions=["Pair on reviews"])  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import pyarrow as pa

from productops.engine import Store
from productops.errors import UsageError
from productops.experiments.registry import slug
from productops.registry.rows import SOURCE, TIMESTAMP, land, strings
from productops.schema import TABLES

__all__ = ["ACTIVITY_KINDS", "activity_id", "activity_notes", "list_activities", "log_activity"]

ACTIVITY_KINDS = TABLES["activity"].column("kind").choices
_FINDINGS = ("retrospective", "process_review")


def activity_notes(
    notes: str | None,
    bottlenecks: Sequence[str] = (),
    actions: Sequence[str] = (),
    done: Sequence[str] = (),
) -> str | None:
    """Free notes followed by one line per bottleneck, action and done action.

    >>> activity_notes("Good sprint", ["Review wait"], ["Pair on reviews"])
    'Good sprint\\nBottleneck: Review wait\\nAction: Pair on reviews'
    """
    lines = [notes.strip()] if notes and notes.strip() else []
    for mark, items in (("Bottleneck: ", bottlenecks), ("Action: ", actions), ("Done: ", done)):
        lines += [mark + " ".join(i.split()) for i in items if i.strip()]
    return "\n".join(lines) or None


def activity_id(team_id: str, kind: str, held_at: datetime, person_id: str | None = None) -> str:
    """The id of the activity of `kind` held by `team_id` at `held_at` (for onboarding: of
    `person_id`)."""
    who = f"-{slug(person_id)}" if person_id else ""
    return f"{SOURCE}:activity-{kind.replace('_', '-')}-{slug(team_id)}{who}-{held_at:%Y%m%dT%H%M}"


def log_activity(
    store: Store,
    *,
    team_id: str,
    kind: str,
    held_at: datetime,
    title: str | None = None,
    ended_at: datetime | None = None,
    person_id: str | None = None,
    attendees: int | None = None,
    notes: str | None = None,
    bottlenecks: Sequence[str] = (),
    actions: Sequence[str] = (),
    done: Sequence[str] = (),
) -> str:
    """Record an activity and return its id.

    For `onboarding`, `held_at` is the new member's start, `ended_at` the day
    they became productive (may come later: log it again with `ended_at`).
    Bottlenecks, actions and done actions only fit retrospectives and process reviews.
    """
    if kind not in ACTIVITY_KINDS:
        raise UsageError(f"activity kind {kind!r}: use one of {', '.join(ACTIVITY_KINDS)}")
    if (bottlenecks or actions or done) and kind not in _FINDINGS:
        raise UsageError("bottlenecks and actions belong to a retrospective or process_review")
    if ended_at is not None and ended_at < held_at:
        raise UsageError(
            f"the activity ends ({ended_at:%Y-%m-%d}) before it starts ({held_at:%Y-%m-%d})"
        )
    if attendees is not None and attendees < 0:
        raise UsageError(f"--attendees {attendees}: give 0 or more")
    if not store.sql("SELECT count(*) FROM team WHERE id = ?", [team_id])[0][0]:
        raise UsageError(f"unknown team {team_id!r}; import it first (productops import team FILE)")
    ident = activity_id(team_id, kind, held_at, person_id)
    data = pa.table(
        {
            "id": strings([ident]),
            "team_id": strings([team_id]),
            "kind": strings([kind]),
            "title": strings([title]),
            "person_id": strings([person_id]),
            "held_at": pa.array([held_at], TIMESTAMP),
            "ended_at": pa.array([ended_at], TIMESTAMP),
            "attendees": pa.array([attendees], pa.int64()),
            "notes": strings([activity_notes(notes, bottlenecks, actions, done)]),
        }
    )
    land(store, "activity", data, "productops activity log")
    return ident


def list_activities(
    store: Store,
    team_id: str | None = None,
    kind: str | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Activities, newest first, optionally of one team and kind; onboarding days when productive."""
    where, params = [], []
    if team_id:
        where.append("team_id = ?")
        params.append(team_id)
    if kind:
        where.append("kind = ?")
        params.append(kind)
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    tail = f" LIMIT {int(limit)}" if limit else ""
    rows: list[dict[str, Any]] = store.arrow(
        "SELECT id, team_id, kind, title, person_id, held_at, ended_at, attendees, notes, "
        "CASE WHEN kind = 'onboarding' AND ended_at IS NOT NULL THEN "
        "(epoch(date_trunc('second', ended_at)) - epoch(date_trunc('second', held_at))) / 86400.0 "
        f"END AS onboarding_days FROM activity {clause} ORDER BY held_at DESC, id{tail}",
        params,
    ).to_pylist()
    return rows
