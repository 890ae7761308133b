"""Delivery flow at a glance (the web app's process page), for one team: lead and cycle time
percentiles per period, throughput, WIP, aging WIP against the team's percentiles, time in
status, the bottleneck, flow efficiency, conformance and its common deviations, the
team-to-team dependency matrix, a Monte Carlo forecast as calendar dates, and DORA with its
bands (definitions: docs/metrics.md)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np

from productops.pillars import process as p
from productops.services import compiled

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from productops.durations import Grain
    from productops.workspace import Workspace

__all__ = ["HISTORY_DAYS", "ProcessView", "data_as_of", "process_overview"]

HISTORY_DAYS = 90
"""Days of daily throughput the forecast draws from."""
Build = Callable[[Callable[[str], "ir.Table"]], "ir.Table"]


@dataclass(frozen=True)
class ProcessView:
    """The process page's tables for `team` (each a list of rows as the pillar functions give
    them); `forecast`: per confidence the date by which the team's open items are done."""

    team: str
    grain: Grain
    as_of: datetime
    lead: list[dict[str, Any]]
    cycle: list[dict[str, Any]]
    throughput: list[dict[str, Any]]
    wip: list[dict[str, Any]]
    aging: list[dict[str, Any]]
    time_in_status: list[dict[str, Any]]
    bottleneck: list[dict[str, Any]]
    efficiency: list[dict[str, Any]]
    conformance: list[dict[str, Any]]
    deviations: list[dict[str, Any]]
    dependencies: list[dict[str, Any]]
    forecast: list[dict[str, Any]]
    forecast_warning: str | None
    dora: list[dict[str, Any]]


def data_as_of(ws: Workspace, now: datetime) -> datetime:
    """The moment the page looks from: `now`, or the newest work item change when the data
    stops earlier (an export, the demo), to the day."""
    [(newest,)] = ws.store.sql(
        "SELECT max(greatest(created_at, coalesce(started_at, created_at), "
        "coalesce(resolved_at, created_at))) FROM work_item"
    )
    moment = now if newest is None else min(now, newest.astimezone(UTC) + timedelta(days=1))
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def process_overview(ws: Workspace, team: str, grain: Grain, as_of: datetime) -> ProcessView:
    """Team `team`'s delivery flow per period of `grain`, looking from `as_of` (to the day)."""
    day = as_of.replace(hour=0, minute=0, second=0, microsecond=0)
    waits = tuple(ws.config.workflow.wait_statuses)

    def items(t: Callable[[str], ir.Table]) -> ir.Table:
        w = t("work_item")  # the team's only: every flow figure is the team's own
        return w.filter(w.team_id == team)

    def stays(t: Callable[[str], ir.Table]) -> ir.Table:
        return p.status_stays(items(t), t("work_item_transition"), day)

    builds: dict[str, Build] = {
        "lead": lambda t: p.lead_time(items(t), grain),
        "cycle": lambda t: p.cycle_time(p.flow_items(items(t), stays(t)), grain),
        "throughput": lambda t: p.throughput(items(t), grain, day),
        "wip": lambda t: p.wip(items(t), grain),
        "aging": lambda t: p.aging_wip(p.flow_items(items(t), stays(t)), day),
        "time_in_status": lambda t: p.status_share(stays(t), items(t), grain),
        "bottleneck": lambda t: p.bottleneck(stays(t), items(t), grain, waits),
        "efficiency": lambda t: p.flow_efficiency(
            stays(t), items(t), t("work_item_flag"), day, grain, waits
        ),
        "conformance": lambda t: p.conformance(
            items(t), p.deviations(items(t), t("work_item_transition")), grain
        ),
        "frequency": lambda t: p.deployment_frequency(t("deployment"), grain, as_of=day),
        "change_lead": lambda t: p.change_lead_time(
            t("change"), t("deployment"), t("deployment_change"), grain
        ),
        "failure": lambda t: p.change_failure_rate(t("deployment"), t("incident"), grain),
        "recovery": lambda t: p.recovery_time(t("incident"), grain),
    }
    key = f"{team}:{day:%Y-%m-%d}:{grain}:{','.join(waits)}"
    found = {
        name: _sorted(compiled.rows(ws, f"process:{name}:{key}", build, "team_id = ?", [team]))
        for name, build in builds.items()
    }
    deviations = compiled.rows(
        ws,
        "process:common_deviations",
        lambda t: p.common_deviations(p.deviations(t("work_item"), t("work_item_transition"))),
    )
    pairs = compiled.rows(
        ws,
        f"process:blocking_pairs:{day:%Y-%m-%d}",
        lambda t: p.blocking_pairs(p.cross_team_blocks(t("work_item"), t("work_item_link"), day)),
    )
    forecast, warning = _forecast(ws, team, day, len(found["aging"]))
    return ProcessView(
        team, grain, day, found["lead"], found["cycle"], found["throughput"], found["wip"],
        sorted(found["aging"], key=lambda r: -(r["age_days"] or 0)), found["time_in_status"],
        found["bottleneck"], found["efficiency"], found["conformance"],
        sorted(deviations, key=lambda r: -r["items"]), pairs, forecast, warning,
        _dora(found),
    )  # fmt: skip


def _sorted(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for r in rows:
        if isinstance(r.get("period_start"), datetime):
            r["period_start"] = r["period_start"].replace(tzinfo=UTC)
    return sorted(rows, key=lambda r: (str(r.get("period_start")), str(r.get("status", ""))))


def _dora(found: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Per period the four keys with their bands."""
    keys = (
        ("frequency", "per_week"),
        ("change_lead", "lead_time_hours"),
        ("failure", "rate"),
        ("recovery", "median_hours"),
    )
    empty = {f"{n}_{v}": None for n, v in keys} | {f"{n}_band": None for n, _ in keys}
    periods: dict[Any, dict[str, Any]] = {}
    for name, value in keys:
        for r in found[name]:
            row = periods.setdefault(r["period_start"], {"period_start": r["period_start"]} | empty)
            row[f"{name}_{value}"], row[f"{name}_band"] = r[value], r["band"]
    return [periods[k] for k in sorted(periods, key=str)]


def _forecast(
    ws: Workspace, team: str, day: datetime, open_items: int
) -> tuple[list[dict[str, Any]], str | None]:
    """When the team's open items are done, per confidence, from its daily throughput."""
    start = day - timedelta(days=HISTORY_DAYS)
    done = compiled.rows(
        ws,
        f"process:throughput_day:{day:%Y-%m-%d}",
        lambda t: p.throughput(t("work_item"), "day", day),
        "team_id = ? AND period_start >= ? AND period_start < ?",
        [team, start, day],
    )
    daily = np.zeros(HISTORY_DAYS, dtype=np.int64)
    for r in done:
        daily[(r["period_start"].replace(tzinfo=UTC) - start).days] += r["items"]
    if open_items == 0:
        return [], "no open items to forecast"
    result = p.when_done(daily, open_items)
    rows = [
        {
            "confidence": c,
            "items": open_items,
            "days": d,
            "done_by": (day + timedelta(days=d)).date(),
        }
        for c, d in sorted(result.values.items())
    ]
    return rows, result.warning
