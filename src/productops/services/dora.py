"""DORA's four keys per team for one period, with their performance bands (docs/metrics.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from productops.pillars import process as p

if TYPE_CHECKING:
    from productops.durations import Grain
    from productops.workspace import Workspace

__all__ = ["TeamDora", "team_dora"]


@dataclass(frozen=True)
class TeamDora:
    """A team's DORA keys in a period, each with its band (elite, high, medium, low): days
    with a production deployment per week, lead time for changes (hours, median), change
    failure rate (0-1) and failed deployment recovery time (hours, median)."""

    team_id: str
    deploy_days_per_week: float | None
    frequency_band: str | None
    lead_time_hours: float | None
    lead_time_band: str | None
    failure_rate: float | None
    failure_band: str | None
    recovery_hours: float | None
    recovery_band: str | None


def team_dora(
    ws: Workspace, period_start: datetime, g: Grain, as_of: datetime, bands: p.ReportYear = 2024
) -> list[TeamDora]:
    """Each team's DORA keys in the period of `g` starting `period_start`, by team id, with the
    bands of the DORA report of year `bands` (a team with none of the four has no row)."""
    b = ws.backend()
    incident = p.caused_incidents(b.table("incident"), b.table("deployment"))
    keys = {
        "frequency": (
            p.deployment_frequency(b.table("deployment"), g, bands, as_of),
            "per_week",
        ),
        "lead": (
            p.change_lead_time(
                b.table("change"), b.table("deployment"), b.table("deployment_change"), g, bands
            ),
            "lead_time_hours",
        ),
        "failure": (
            p.change_failure_rate(b.table("deployment"), incident, g, bands),
            "rate",
        ),
        "recovery": (p.recovery_time(incident, g, bands), "median_hours"),
    }
    found: dict[str, dict[str, tuple[Any, Any]]] = {}
    for name, (expr, column) in keys.items():
        rows = expr.filter(expr.period_start == period_start).select("team_id", column, "band")
        for r in rows.to_pyarrow().to_pylist():
            if r["team_id"] is not None:
                found.setdefault(r["team_id"], {})[name] = (r[column], r["band"])
    none = (None, None)
    return [
        TeamDora(
            team,
            *k.get("frequency", none),
            *k.get("lead", none),
            *k.get("failure", none),
            *k.get("recovery", none),
        )
        for team, k in sorted(found.items())
    ]
