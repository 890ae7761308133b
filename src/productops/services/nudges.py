"""Nudges: offer them where a team is ready, move them through their lifecycle, measure their
effect (rules and readiness: docs/scorecard.md#nudges)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from productops.ops.nudges import check_move, offers
from productops.registry import improvement
from productops.services import audit
from productops.services.rows import typed
from productops.services.scorecard import compute, criterion_value, maturity_readings

if TYPE_CHECKING:
    from productops.durations import Grain
    from productops.services.actor import Actor
    from productops.workspace import Workspace

__all__ = [
    "NudgeListed",
    "OfferedNudge",
    "accept_nudge",
    "list_nudges",
    "measure_nudges",
    "move_nudge",
    "offer_nudges",
]

_ACTIONS = {"accepted": "nudge.accept", "dismissed": "nudge.dismiss", "done": "nudge.done"}
_BRIEF = ("id", "team_id", "rule", "criterion", "status", "reason", "outcome", "baseline", "after")


@dataclass(frozen=True)
class OfferedNudge:
    """A nudge just offered to a team, with the rule's next step."""

    id: str
    team_id: str
    rule: str
    criterion: str
    next_step: str


def offer_nudges(
    ws: Workspace, actor: Actor, periods: list[datetime], g: Grain, as_of: datetime
) -> list[OfferedNudge]:
    """Offer the nudges whose criterion shows a gap in the last of `periods`, to the teams ready
    for them (a write: one audit row as `actor`'s for the call, with the nudges offered)."""
    scores = compute(ws, periods, g, as_of)
    readings = maturity_readings(ws, scores, periods, g)
    stages = {(r.team_id, r.pillar): r.stage for r in readings}
    latest = {(s.criterion, s.team_id): s for s in scores if s.period_start == periods[-1]}
    teams = ws.backend().table("team").select("id", "focus_pillar").to_pyarrow().to_pylist()
    scored = {s.team_id for s in scores}
    focus = {t["id"]: t["focus_pillar"] for t in teams if t["id"] in scored}
    settings = ws.config.scorecard
    found = offers(
        latest,
        stages,
        focus,
        improvement.list_nudges(ws.store),
        as_of,
        max_open=settings.max_open_nudges,
        dismissed_days=settings.dismissed_days,
    )
    made = []
    with ws.store.transaction():
        for o in found:
            ident = improvement.add_nudge(
                ws.store,
                team_id=o.team_id,
                rule=o.rule.id,
                criterion=o.rule.criterion,
                readiness=o.readiness | {"value": o.value, "target": o.target},
                at=as_of,
            )
            made.append(
                OfferedNudge(ident, o.team_id, o.rule.id, o.rule.criterion, o.rule.next_step)
            )
        after = {"offered": len(made), "ids": [n.id for n in made]}
        audit.record(ws, actor, "nudge.offer", "nudge", None, after)
    return made


def _brief(row: dict[str, Any]) -> dict[str, Any]:
    """A nudge as the audit trail keeps it."""
    return {k: row.get(k) for k in _BRIEF}


def _move(
    ws: Workspace, actor: Actor, nudge: dict[str, Any], to: str, as_of: datetime, **changes: Any
) -> dict[str, Any]:
    """Move `nudge` (the move already checked) to status `to` with `changes`, and its audit row."""
    with ws.store.transaction():
        row = improvement.update_nudge(ws.store, nudge["id"], status=to, status_at=as_of, **changes)
        obj = f"nudge:{row['id']}"
        audit.record(ws, actor, _ACTIONS[to], obj, _brief(nudge), _brief(row))
    return row


def move_nudge(
    ws: Workspace, actor: Actor, ref: str, to: str, as_of: datetime, **changes: Any
) -> dict[str, Any]:
    """Move a nudge to status `to` (dismissed, done) with `changes`; returns its row (a write:
    audited as `actor`'s)."""
    nudge = improvement.load_nudge(ws.store, ref)
    check_move(nudge["status"], to)
    return _move(ws, actor, nudge, to, as_of, **changes)


def accept_nudge(ws: Workspace, actor: Actor, ref: str, as_of: datetime) -> dict[str, Any]:
    """Accept a nudge: its criterion's current value becomes the baseline; returns its row (a
    write: audited as `actor`'s)."""
    nudge = improvement.load_nudge(ws.store, ref)
    check_move(nudge["status"], "accepted")
    base = criterion_value(ws, nudge["criterion"], nudge["team_id"], as_of)
    readiness = (nudge["readiness"] or {}) | {"accepted_at": as_of.isoformat()}
    return _move(ws, actor, nudge, "accepted", as_of, baseline=base.value, readiness=readiness)


def measure_nudges(ws: Workspace, actor: Actor, as_of: datetime) -> list[dict[str, Any]]:
    """Measure the after-value of nudges accepted at least `scorecard.measure_days` days before
    `as_of` and not measured yet; returns their rows (a write: one audit row as `actor`'s for
    the call, with the nudges measured)."""
    wait = timedelta(days=ws.config.scorecard.measure_days)
    measured = []
    with ws.store.transaction():
        for n in improvement.list_nudges(ws.store):
            if n["status"] not in ("accepted", "done") or n["measured_at"] is not None:
                continue
            accepted = _accepted_at(n["readiness"]) if n["readiness"] else None
            if accepted is None or as_of - accepted < wait:
                continue
            after = criterion_value(ws, n["criterion"], n["team_id"], as_of)
            measured.append(
                improvement.update_nudge(ws.store, n["id"], after=after.value, measured_at=as_of)
            )
        summary = {"measured": len(measured), "ids": [n["id"] for n in measured]}
        audit.record(ws, actor, "nudge.measure", "nudge", None, summary)
    return measured


def _accepted_at(readiness: str) -> datetime | None:
    found = json.loads(readiness).get("accepted_at")
    if not found:
        return None
    at = datetime.fromisoformat(found)
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at


@dataclass(frozen=True)
class NudgeListed:
    """A nudge: its rule and criterion, where it stands, and its effect once measured (the
    criterion's `baseline` at acceptance and `after`)."""

    id: str
    team_id: str | None
    rule: str
    criterion: str | None
    status: str | None
    status_at: datetime | None
    reason: str | None
    baseline: float | None
    after: float | None
    measured_at: datetime | None


def list_nudges(
    ws: Workspace, team: str | None = None, status: str | None = None
) -> list[NudgeListed]:
    """Nudges (of `team`, in `status`: offered, accepted, dismissed, done), newest first."""
    return typed(improvement.list_nudges(ws.store, team, status), NudgeListed)
