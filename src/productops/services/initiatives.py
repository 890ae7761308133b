"""Improvement initiatives through the design-thinking cycle, with a frozen baseline and an
after-value (docs/scorecard.md#initiatives)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from productops.ops.initiatives import CYCLE, check_criterion, next_stage
from productops.registry import improvement
from productops.services import audit
from productops.services.rows import typed
from productops.services.scorecard import criterion_value

if TYPE_CHECKING:
    from productops.services.actor import Actor
    from productops.workspace import Workspace

__all__ = [
    "InitiativeListed",
    "advance_initiative",
    "list_initiatives",
    "show_initiative",
    "start_initiative",
]

_BRIEF = ("id", "team_id", "title", "stage", "target_metric", "baseline", "after")


def _brief(row: dict[str, Any]) -> dict[str, Any]:
    """An initiative as the audit trail keeps it."""
    return {k: row.get(k) for k in _BRIEF}


def start_initiative(
    ws: Workspace, actor: Actor, team: str, title: str, criterion: str, as_of: datetime
) -> tuple[dict[str, Any], str | None]:
    """Start an initiative at the cycle's first stage with the criterion's value as of `as_of`
    frozen as baseline; returns its row and why there is no baseline, if there is none (a write:
    audited as `actor`'s)."""
    check_criterion(criterion, tuple(c.id for c in ws.config.scorecard.custom))
    base = criterion_value(ws, criterion, team, as_of)
    with ws.store.transaction():
        ident = improvement.add_initiative(
            ws.store,
            team_id=team,
            title=title,
            criterion=criterion,
            baseline=base.value,
            baseline_period=f"{base.grain}:{base.period_start:%Y-%m-%d}",
            stage=CYCLE[0],
            at=as_of,
        )
        row = improvement.load_initiative(ws.store, ident)
        audit.record(ws, actor, "initiative.start", f"initiative:{ident}", None, _brief(row))
    return row, base.reason if base.value is None else None


def advance_initiative(
    ws: Workspace, actor: Actor, ref: str, to: str | None, as_of: datetime
) -> dict[str, Any]:
    """Move an initiative to its next stage (`to`, if given, must be it); at the last stage its
    after-value is measured. Returns its row (a write: audited as `actor`'s)."""
    row = improvement.load_initiative(ws.store, ref)
    stage = next_stage(row["stage"], to)
    changes: dict[str, Any] = {"stage": stage, "stage_at": as_of}
    if stage == CYCLE[-1]:
        after = criterion_value(ws, row["target_metric"], row["team_id"], as_of)
        changes |= {"after": after.value, "ended_at": as_of}
    with ws.store.transaction():
        moved = improvement.update_initiative(ws.store, row["id"], **changes)
        obj = f"initiative:{row['id']}"
        audit.record(ws, actor, "initiative.advance", obj, _brief(row), _brief(moved))
    return moved


@dataclass(frozen=True)
class InitiativeListed:
    """An initiative: its stage, the criterion it should move (`target_metric`), the baseline
    frozen at its start (of `baseline_period`) and the after-value measured at implement."""

    id: str
    team_id: str | None
    title: str | None
    stage: str | None
    target_metric: str | None
    baseline: float | None
    baseline_period: str | None
    after: float | None
    started_at: datetime | None
    stage_at: datetime | None
    ended_at: datetime | None


def list_initiatives(ws: Workspace, team: str | None = None) -> list[InitiativeListed]:
    """Initiatives (of `team`), newest first."""
    return typed(improvement.list_initiatives(ws.store, team), InitiativeListed)


def show_initiative(ws: Workspace, ref: str) -> InitiativeListed:
    """Initiative `ref`: its id or the part after `productops:initiative-` (or its start)."""
    [found] = typed([improvement.load_initiative(ws.store, ref)], InitiativeListed)
    return found
