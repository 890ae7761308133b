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
ITEMS, STAYS, FLOW = "page_team_items", "page_team_stays", "page_team_flow"
"""Names under which the team's work items, status stays and flow rows are staged."""
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


TABLES = (
    "work_item", "work_item_transition", "work_item_flag", "work_item_link", "deployment",
    "change", "deployment_change", "incident",
)  # fmt: skip
"""What the process page reads: it is computed again when one of them changes."""


def process_overview(ws: Workspace, team: str, grain: Grain, as_of: datetime) -> ProcessView:
    """Team `team`'s delivery flow per period of `grain`, looking from `as_of` (to the day)."""
    day = as_of.replace(hour=0, minute=0, second=0, microsecond=0)
    key = f"process:{team}:{grain}:{day.isoformat()}:{','.join(ws.config.workflow.wait_statuses)}"
    return compiled.kept(ws, key, TABLES, lambda: _process_overview(ws, team, grain, day))


def _process_overview(ws: Workspace, team: str, grain: Grain, day: datetime) -> ProcessView:
    waits = tuple(ws.config.workflow.wait_statuses)

    # The team's items, their status stays and flow rows, computed once and read by name by
    # every figure (so the figures' SQL does not depend on the team).
    base = f"{day:%Y-%m-%d}:{','.join(waits)}"
    team_items = compiled.arrow(
        ws, "process:items", lambda t: t("work_item"), "team_id = ?", [team]
    )
    with ws.store.staged(ITEMS, team_items):
        stays = compiled.arrow(
            ws, f"process:stays:{base}",
            lambda t: p.status_stays(t(ITEMS), t("work_item_transition"), day),
        )  # fmt: skip
        with ws.store.staged(STAYS, stays):
            flow = compiled.arrow(
                ws, "process:flow_items", lambda t: p.flow_items(t(ITEMS), t(STAYS))
            )
            with ws.store.staged(FLOW, flow):
                found = _figures(ws, team, grain, day, waits, f"{base}:{grain}")
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


def _figures(
    ws: Workspace, team: str, grain: Grain, day: datetime, waits: tuple[str, ...], key: str
) -> dict[str, list[dict[str, Any]]]:
    """Each figure of the page over the staged team tables (DORA: the team's rows)."""
    builds: dict[str, Build] = {
        "lead": lambda t: p.lead_time(t(ITEMS), grain),
        "cycle": lambda t: p.cycle_time(t(FLOW), grain),
        "throughput": lambda t: p.throughput(t(ITEMS), grain, day),
        "wip": lambda t: p.wip(t(ITEMS), grain),
        "aging": lambda t: p.aging_wip(t(FLOW), day),
        "time_in_status": lambda t: p.status_share(t(STAYS), t(ITEMS), grain),
        "bottleneck": lambda t: p.bottleneck(t(STAYS), t(ITEMS), grain, waits),
        "efficiency": lambda t: p.flow_efficiency(
            t(STAYS), t(ITEMS), t("work_item_flag"), day, grain, waits
        ),
        "conformance": lambda t: p.conformance(
            t(ITEMS), p.deviations(t(ITEMS), t("work_item_transition")), grain
        ),
        "frequency": lambda t: p.deployment_frequency(t("deployment"), grain, as_of=day),
        "change_lead": lambda t: p.change_lead_time(
            t("change"), t("deployment"), t("deployment_change"), grain
        ),
        "failure": lambda t: p.change_failure_rate(t("deployment"), t("incident"), grain),
        "recovery": lambda t: p.recovery_time(t("incident"), grain),
    }
    return {
        name: _sorted(compiled.rows(ws, f"process:{name}:{key}", build, "team_id = ?", [team]))
        for name, build in builds.items()
    }


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
