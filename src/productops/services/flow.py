"""Delivery flow reads shared by the CLI and the API (definitions: docs/metrics.md): each work
item's flow, and per team and period lead and cycle time, throughput, WIP, aging, time in status,
bottlenecks, flow efficiency, cross-team dependencies, workflow conformance, time-to-market and
Monte Carlo forecasts. Each returns frozen records whose fields are the command's `-f json`
columns; a per-period read takes the `Periods` asked for (`--grain`, `--team`, `--since`,
`--until`)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from productops.engine import shared_table
from productops.errors import UsageError
from productops.pillars import process as p
from productops.services.rows import of_team, records

if TYPE_CHECKING:
    from productops.services.periods import Periods
    from productops.workspace import Workspace

__all__ = [
    "Aging",
    "BlockingPair",
    "Bottleneck",
    "Conformance",
    "DependencyDelay",
    "Deviation",
    "Efficiency",
    "FlowForecast",
    "FlowItem",
    "ForecastLine",
    "Percentiles",
    "StatusShare",
    "Throughput",
    "TimeToMarket",
    "Wip",
    "aging",
    "blocking_pairs",
    "bottleneck",
    "conformance",
    "cycle_time",
    "dependencies",
    "deviations",
    "efficiency",
    "flow_items",
    "forecast",
    "lead_time",
    "throughput",
    "time_in_status",
    "time_to_market",
    "wip",
]


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


@dataclass(frozen=True)
class Percentiles:
    """Lead or cycle time percentiles in days of the items done in a team's period."""

    team_id: str | None
    period_start: datetime
    items: int
    p50: float | None
    p70: float | None
    p85: float | None
    p95: float | None


@dataclass(frozen=True)
class Throughput:
    """Items done in a team's period, and per week (`partial`: the period still runs)."""

    team_id: str | None
    period_start: datetime
    items: int
    per_week: float | None
    partial: bool | None


@dataclass(frozen=True)
class Wip:
    """Items in progress at the end of a team's period."""

    team_id: str | None
    period_start: datetime
    wip: int


@dataclass(frozen=True)
class Aging:
    """An item in progress: its age in days against its team's cycle-time percentiles."""

    work_item_id: str
    team_id: str | None
    status: str | None
    started_at: datetime | None
    age_days: float | None
    p50: float | None
    p85: float | None
    p95: float | None
    band: str | None


@dataclass(frozen=True)
class StatusShare:
    """Days in one in-progress status and its share (0-1) of cycle time, in a team's period."""

    team_id: str | None
    period_start: datetime
    status: str | None
    items: int
    days: float | None
    share: float | None
    previous_share: float | None


@dataclass(frozen=True)
class Bottleneck:
    """The wait status holding the most waiting time in a team's period, and its trend."""

    team_id: str | None
    period_start: datetime
    status: str | None
    items: int
    days: float | None
    share_of_waiting: float | None
    share_of_cycle: float | None
    trend: float | None


@dataclass(frozen=True)
class Efficiency:
    """Flow efficiency (active over cycle time, 0-1) in a team's period."""

    team_id: str | None
    period_start: datetime
    items: int
    cycle_days: float | None
    waiting_days: float | None
    active_days: float | None
    efficiency: float | None


@dataclass(frozen=True)
class DependencyDelay:
    """Items of a team delayed by other teams' items, and days blocked, in a period."""

    team_id: str | None
    period_start: datetime
    items_delayed: int
    blocked_days: float | None


@dataclass(frozen=True)
class BlockingPair:
    """Days one team's items blocked another's."""

    blocking_team: str | None
    blocked_team: str | None
    links: int
    items_delayed: int
    blocked_days: float | None


@dataclass(frozen=True)
class Conformance:
    """Finished items that followed the standard workflow, in a team's period."""

    team_id: str | None
    period_start: datetime
    items: int
    conforming: int
    share: float | None
    team_conforms: bool | None


@dataclass(frozen=True)
class Deviation:
    """A deviation from the standard workflow: items, teams and moves that made it."""

    deviation: str
    items: int
    teams: int
    moves: int


@dataclass(frozen=True)
class TimeToMarket:
    """Days from creation to release of a team's features, and of those for customer insights."""

    team_id: str | None
    period_start: datetime
    features: int
    p50_days: float | None
    p85_days: float | None
    insight_features: int | None
    insight_p50_days: float | None


@dataclass(frozen=True)
class ForecastLine:
    """At a confidence (`85%`): at least this many `items` in the days asked, or done within
    this many `days`; the other is None."""

    confidence: str
    days: float | None = None
    items: float | None = None


@dataclass(frozen=True)
class FlowForecast:
    """A team's Monte Carlo forecast from `history_days` of daily throughput; `unit` says which
    of a line's `days` or `items` it gives; `warning` why it may not hold."""

    team_id: str
    history_days: int
    unit: Literal["days", "items"]
    lines: list[ForecastLine]
    warning: str | None = None


def flow_items(
    ws: Workspace, as_of: datetime, team: str | None = None, limit: int | None = None
) -> list[FlowItem]:
    """Each work item (of `team`) as of `as_of`, by team, creation and id; at most `limit`."""
    stays = _stays(ws, as_of)
    table = _items(ws, as_of)
    spent = p.time_in_status(stays)
    table, spent = of_team(table, team), of_team(spent, team)
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


def _stays(ws: Workspace, as_of: datetime) -> Any:
    """The status stays, computed once per backend (on Spark) for the reads that share them."""
    b = ws.backend()
    return shared_table(
        p.status_stays(b.table("work_item"), b.table("work_item_transition"), as_of)
    )


def _items(ws: Workspace, as_of: datetime) -> Any:
    """The flow items (`p.flow_items`), computed once per backend (on Spark)."""
    return shared_table(p.flow_items(ws.backend().table("work_item"), _stays(ws, as_of)))


def _workflow(ws: Workspace) -> p.Workflow:
    s = ws.config.workflow
    return p.Workflow(tuple(s.statuses), tuple(s.optional), tuple(s.allowed), s.threshold)


def lead_time(ws: Workspace, periods: Periods) -> list[Percentiles]:
    """Lead time percentiles in days (created to done) per team and period."""
    expr = p.lead_time(ws.backend().table("work_item"), periods.grain)
    return records(expr, Percentiles, periods)


def cycle_time(ws: Workspace, periods: Periods, as_of: datetime) -> list[Percentiles]:
    """Cycle time percentiles in days (time in in-progress statuses) per team and period."""
    return records(p.cycle_time(_items(ws, as_of), periods.grain), Percentiles, periods)


def throughput(ws: Workspace, periods: Periods, as_of: datetime) -> list[Throughput]:
    """Items done per team and period, and per week of the period's elapsed part."""
    expr = p.throughput(ws.backend().table("work_item"), periods.grain, as_of)
    return records(expr, Throughput, periods)


def wip(ws: Workspace, periods: Periods) -> list[Wip]:
    """Work in progress at the end of each period, per team."""
    return records(p.wip(ws.backend().table("work_item"), periods.grain), Wip, periods)


def aging(ws: Workspace, as_of: datetime, team: str | None = None) -> list[Aging]:
    """Items in progress at `as_of`, their age against the team's cycle-time percentiles."""
    return records(of_team(p.aging_wip(_items(ws, as_of), as_of), team), Aging)


def time_in_status(ws: Workspace, periods: Periods, as_of: datetime) -> list[StatusShare]:
    """Days in each in-progress status and its share of cycle time, per team and period."""
    expr = p.status_share(_stays(ws, as_of), ws.backend().table("work_item"), periods.grain)
    return records(expr, StatusShare, periods)


def bottleneck(ws: Workspace, periods: Periods, as_of: datetime) -> list[Bottleneck]:
    """The wait status holding the most waiting time, per team and period, and its trend."""
    waits = ws.config.workflow.wait_statuses
    expr = p.bottleneck(_stays(ws, as_of), ws.backend().table("work_item"), periods.grain, waits)
    return records(expr, Bottleneck, periods)


def efficiency(ws: Workspace, periods: Periods, as_of: datetime) -> list[Efficiency]:
    """Flow efficiency: active time over cycle time, per team and period."""
    b = ws.backend()
    expr = p.flow_efficiency(
        _stays(ws, as_of),
        b.table("work_item"),
        b.table("work_item_flag"),
        as_of,
        periods.grain,
        ws.config.workflow.wait_statuses,
    )
    return records(expr, Efficiency, periods)


def _blocks(ws: Workspace, as_of: datetime) -> Any:
    b = ws.backend()
    return p.cross_team_blocks(b.table("work_item"), b.table("work_item_link"), as_of)


def dependencies(ws: Workspace, periods: Periods, as_of: datetime) -> list[DependencyDelay]:
    """Items delayed by other teams' items and days blocked, per blocked team and period."""
    expr = p.dependency_delays(_blocks(ws, as_of), periods.grain)
    return records(expr, DependencyDelay, periods)


def blocking_pairs(ws: Workspace, as_of: datetime, team: str | None = None) -> list[BlockingPair]:
    """Team pairs ranked by the days one team's items blocked the other's (`team`: blocked)."""
    return records(of_team(p.blocking_pairs(_blocks(ws, as_of)), team), BlockingPair)


def conformance(ws: Workspace, periods: Periods) -> list[Conformance]:
    """Share of finished items that followed the standard workflow, per team and period."""
    b = ws.backend()
    workflow = _workflow(ws)
    found = p.deviations(b.table("work_item"), b.table("work_item_transition"), workflow)
    expr = p.conformance(b.table("work_item"), found, periods.grain, workflow)
    return records(expr, Conformance, periods)


def deviations(ws: Workspace, team: str | None = None) -> list[Deviation]:
    """The most common deviations from the standard workflow (of `team`'s items)."""
    b = ws.backend()
    found = p.deviations(b.table("work_item"), b.table("work_item_transition"), _workflow(ws))
    return records(p.common_deviations(of_team(found, team)), Deviation)


def time_to_market(ws: Workspace, periods: Periods) -> list[TimeToMarket]:
    """Days from creation to release of features, and of those addressing customer insights."""
    b = ws.backend()
    expr = p.time_to_market(b.table("work_item"), b.table("feedback_link"), periods.grain)
    return records(expr, TimeToMarket, periods)


def forecast(
    ws: Workspace,
    team: str,
    as_of: datetime,
    *,
    items: int | None = None,
    days: int | None = None,
    history: int = 90,
) -> FlowForecast:
    """When `items` more of `team`'s items will be done, or how many in `days` days (exactly one
    of them), from the daily throughput of the `history` days before `as_of`'s day."""
    if (items is None) == (days is None):
        raise UsageError("flow forecast: give exactly one of items or days")
    end = as_of.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    start = end - timedelta(days=history)
    done = p.throughput(ws.backend().table("work_item"), "day", end)
    done = done.filter(
        (done.team_id == team) & (done.period_start >= start) & (done.period_start < end)
    )
    daily = np.zeros(history, dtype=np.int64)
    for r in done.to_pyarrow().to_pylist():
        daily[(r["period_start"].replace(tzinfo=UTC) - start).days] += r["items"]
    result = p.when_done(daily, items) if items is not None else p.how_many(daily, days or 0)
    unit: Literal["days", "items"] = "days" if items is not None else "items"
    lines = [ForecastLine(f"{c}%", **{unit: v}) for c, v in sorted(result.values.items())]
    return FlowForecast(team, history, unit, lines, result.warning)
