"""Improvement initiatives through the design-thinking cycle, with a frozen baseline and an
after-value (docs/scorecard.md#initiatives)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from productops.ops.initiatives import CYCLE, check_criterion, next_stage
from productops.registry import improvement
from productops.services.scorecard import criterion_value

if TYPE_CHECKING:
    from productops.services.actor import Actor
    from productops.workspace import Workspace

__all__ = ["advance_initiative", "start_initiative"]


def start_initiative(
    ws: Workspace, actor: Actor, team: str, title: str, criterion: str, as_of: datetime
) -> tuple[dict[str, Any], str | None]:
    """Start an initiative at the cycle's first stage with the criterion's value as of `as_of`
    frozen as baseline; returns its row and why there is no baseline, if there is none (a write:
    audited as `actor`'s)."""
    check_criterion(criterion, tuple(c.id for c in ws.config.scorecard.custom))
    base = criterion_value(ws, criterion, team, as_of)
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
    return improvement.load_initiative(ws.store, ident), base.reason if base.value is None else None


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
    return improvement.update_initiative(ws.store, row["id"], **changes)
