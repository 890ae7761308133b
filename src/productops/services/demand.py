"""Demand by ARR: the feedback themes asked for by the most revenue in a period
(docs/customer-insights.md#demand)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from productops.ops.scorecard import shift
from productops.pillars.customer.demand import theme_demand

if TYPE_CHECKING:
    from productops.durations import Grain
    from productops.workspace import Workspace

__all__ = ["ThemeDemand", "demand_by_arr"]


@dataclass(frozen=True)
class ThemeDemand:
    """A theme's demand in a period: feedback items, distinct requesters and accounts, the ARR
    of those accounts (each counted once) and of the churned ones among them, and the ARR
    behind the theme in the period before (0 when none asked then)."""

    theme_id: str
    label: str | None
    items: int
    requesters: int
    accounts: int
    arr: float
    churned_arr: float
    previous_arr: float


def demand_by_arr(
    ws: Workspace, period_start: datetime, g: Grain, limit: int = 10
) -> list[ThemeDemand]:
    """The `limit` themes with the most ARR behind them in the period of `g` starting
    `period_start`, most first (ties: more items first, then by id)."""
    b = ws.backend()
    d = theme_demand(b.table("feedback"), b.table("feedback_theme"), b.table("account"), g)
    before = shift(period_start, g, -1)
    rows = d.to_pyarrow().to_pylist()
    for r in rows:  # DuckDB gives the period starts without a zone: they are UTC
        start = r["period_start"]
        r["period_start"] = start.astimezone(UTC) if start.tzinfo else start.replace(tzinfo=UTC)
    previous = {r["theme_id"]: r["arr"] for r in rows if r["period_start"] == before}
    labels = dict(ws.store.sql("SELECT id, label FROM theme"))
    now = sorted(
        (r for r in rows if r["period_start"] == period_start),
        key=lambda r: (-r["arr"], -r["items"], r["theme_id"]),
    )
    return [
        ThemeDemand(
            r["theme_id"],
            labels.get(r["theme_id"]),
            r["items"],
            r["requesters"],
            r["accounts"],
            r["arr"],
            r["churned_arr"],
            previous.get(r["theme_id"], 0.0),
        )
        for r in now[:limit]
    ]
