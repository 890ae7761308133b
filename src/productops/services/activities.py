"""Activities' write: log a workshop, session, training, tool onboarding, retrospective, process
review or onboarding (definitions: docs/surveys.md). Audited as the actor's: `activity.log` on
`activity:ID`, with the activity before (None when new) and after."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from productops.registry import activities as registry
from productops.services import audit

if TYPE_CHECKING:
    from productops.services.actor import Actor
    from productops.workspace import Workspace

__all__ = ["Activity", "log_activity"]


@dataclass(frozen=True)
class Activity:
    """An activity as stored; `notes` holds its bottlenecks, actions and done actions as lines."""

    id: str
    team_id: str
    kind: str
    title: str | None
    person_id: str | None
    held_at: datetime
    ended_at: datetime | None
    attendees: int | None
    notes: str | None


def _stored(ws: Workspace, ident: str) -> list[Activity]:
    """The activity `ident` as stored: one, or none yet."""
    rows = ws.store.arrow(
        "SELECT id, team_id, kind, title, person_id, held_at, ended_at, attendees, notes "
        "FROM activity WHERE id = ?",
        [ident],
    ).to_pylist()
    return [Activity(**row) for row in rows]


def log_activity(
    ws: Workspace,
    actor: Actor,
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
) -> Activity:
    """Record an activity; the same team, kind and start (and person) again updates it (a write:
    audited as `actor`'s)."""
    before = [
        asdict(a) for a in _stored(ws, registry.activity_id(team_id, kind, held_at, person_id))
    ]
    with ws.store.transaction():
        ident = registry.log_activity(
            ws.store, team_id=team_id, kind=kind, held_at=held_at, title=title,
            ended_at=ended_at, person_id=person_id, attendees=attendees, notes=notes,
            bottlenecks=bottlenecks, actions=actions, done=done,
        )  # fmt: skip
        [after] = _stored(ws, ident)
        was = before[0] if before else None
        audit.record(ws, actor, "activity.log", f"activity:{ident}", was, asdict(after))
    return after
