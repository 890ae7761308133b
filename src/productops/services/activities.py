"""Activities: log a workshop, session, training, tool onboarding, retrospective, process review
or onboarding, and read them back per team and period (definitions: docs/surveys.md). The write
is audited as the actor's: `activity.log` on `activity:ID`, with the activity before (None when
new) and after."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from productops import ops
from productops.errors import UsageError
from productops.registry import activities as registry
from productops.services import audit
from productops.services.rows import records, typed

if TYPE_CHECKING:
    from productops.services.actor import Actor
    from productops.services.periods import Periods
    from productops.workspace import Workspace

__all__ = [
    "Activity",
    "ActivityListed",
    "ActivitySummary",
    "OnboardingTime",
    "Retrospectives",
    "activity_kind",
    "activity_summary",
    "list_activities",
    "log_activity",
    "onboarding_time",
    "retrospectives",
]


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


@dataclass(frozen=True)
class ActivityListed:
    """An activity as listed: `onboarding_days` from start to productive for an onboarding."""

    id: str
    team_id: str
    kind: str
    title: str | None
    held_at: datetime
    ended_at: datetime | None
    attendees: int | None
    onboarding_days: float | None
    notes: str | None


@dataclass(frozen=True)
class ActivitySummary:
    """Activities a team held in a period, one field per kind (`ACTIVITY_KINDS`)."""

    team_id: str
    period_start: datetime
    workshop: int = 0
    insight_session: int = 0
    training: int = 0
    tool_onboarding: int = 0
    retrospective: int = 0
    process_review: int = 0
    onboarding: int = 0


@dataclass(frozen=True)
class OnboardingTime:
    """Days from start to productive of a team's new members, per period they became productive."""

    team_id: str | None
    period_start: datetime
    members: int
    median_days: float | None
    mean_days: float | None
    max_days: float | None


@dataclass(frozen=True)
class Retrospectives:
    """Retrospectives or process reviews a team held in a period: bottlenecks named, actions
    agreed and done (`done_share` 0-1)."""

    team_id: str | None
    period_start: datetime
    kind: str
    held: int
    with_bottleneck: int
    actions: int
    done: int
    done_share: float | None


def activity_kind(text: str | None, option: str = "kind") -> str | None:
    """A kind of activity checked (None stays None)."""
    if text is not None and text not in registry.ACTIVITY_KINDS:
        raise UsageError(f"{option} {text!r}: use one of {', '.join(registry.ACTIVITY_KINDS)}")
    return text


def list_activities(
    ws: Workspace, team: str | None = None, kind: str | None = None, limit: int | None = None
) -> list[ActivityListed]:
    """Activities (of `team`, of `kind`), newest first; at most `limit`."""
    found = registry.list_activities(ws.store, team, activity_kind(kind), limit)
    return typed(found, ActivityListed)


@dataclass(frozen=True)
class _Count:
    team_id: str
    period_start: datetime
    kind: str
    activities: int


def activity_summary(ws: Workspace, periods: Periods) -> list[ActivitySummary]:
    """Activities held per team and period, by kind."""
    counts = ops.activity_counts(ws.backend().table("activity"), periods.grain)
    wide: dict[tuple[str, datetime], dict[str, int]] = {}
    for row in records(counts, _Count, periods):
        wide.setdefault((row.team_id, row.period_start), {})[row.kind] = row.activities
    return [ActivitySummary(t, start, **kinds) for (t, start), kinds in sorted(wide.items())]


def onboarding_time(ws: Workspace, periods: Periods) -> list[OnboardingTime]:
    """Days from start to productive of new members, per team and period."""
    expr = ops.onboarding_time(ws.backend().table("activity"), periods.grain)
    return records(expr, OnboardingTime, periods)


def retrospectives(ws: Workspace, periods: Periods) -> list[Retrospectives]:
    """Retrospectives and process reviews held, bottlenecks named, actions agreed and done."""
    expr = ops.retrospectives(ws.backend().table("activity"), periods.grain)
    return records(expr, Retrospectives, periods)
