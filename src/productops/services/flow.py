"""Delivery flow reads shared by the CLI and the API: each work item's flow (docs/metrics.md)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from productops.pillars import process as p

if TYPE_CHECKING:
    from productops.workspace import Workspace

__all__ = ["FlowItem", "flow_items"]


@dataclass(frozen=True)
class FlowItem:
    """One work item's flow: lead and cycle time, status changes, days in each status."""

    work_item_id: str
    team_id: str | None
    created_at: datetime | None
    resolved_at: datetime | None
    lead_time_days: float | None
    cycle_time_days: float | None
    status_changes: int | None
    time_in_status: dict[str, float]


def flow_items(
    ws: Workspace, as_of: datetime, team: str | None = None, limit: int | None = None
) -> list[FlowItem]:
    """Each work item (of `team`) as of `as_of`, by team, creation and id; at most `limit`."""
    b = ws.backend()
    stays = p.status_stays(b.table("work_item"), b.table("work_item_transition"), as_of)
    table = p.flow_items(b.table("work_item"), stays)
    spent = p.time_in_status(stays)
    if team is not None:
        table, spent = table.filter(table.team_id == team), spent.filter(spent.team_id == team)
    table = table.order_by("team_id", "created_at", "work_item_id")
    rows = (table.limit(limit) if limit else table).to_pyarrow().to_pylist()
    by_item: dict[str, dict[str, float]] = defaultdict(dict)
    for r in spent.order_by("work_item_id", "status").to_pyarrow().to_pylist():
        by_item[r["work_item_id"]][r["status"]] = round(r["days"], 2)
    return [
        FlowItem(
            r["work_item_id"],
            r["team_id"],
            r["created_at"],
            r["resolved_at"],
            r["lead_time_days"],
            r["cycle_time_days"],
            r["status_changes"],
            by_item.get(r["work_item_id"], {}),
        )
        for r in rows
    ]
