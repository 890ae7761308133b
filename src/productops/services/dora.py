"""DORA's four keys per team and period, with the performance bands of a DORA report's year
(definitions: docs/metrics.md): each key per team and period, shared by `productops dora ...`
and the API (each takes the `Periods` asked for: `--grain`, `--team`, `--since`, `--until`),
and the four together per team for one period (the report, the demo). An incident raised on a
service counts against its team's last production deployment within `link_hours`
(`pillars.process.caused_incidents`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from productops.durations import Grain
from productops.errors import UsageError
from productops.pillars import process as p
from productops.services.rows import records

if TYPE_CHECKING:
    from productops.services.periods import Periods
    from productops.workspace import Workspace

__all__ = [
    "LINK_HOURS",
    "ChangeFailureRate",
    "ChangeLeadTime",
    "DeploymentFrequency",
    "RecoveryTime",
    "TeamDora",
    "change_failure_rate",
    "change_lead_time",
    "deployment_frequency",
    "recovery_time",
    "report_year",
    "team_dora",
]


LINK_HOURS = p.LINK_HOURS
"""Hours after a production deployment within which an incident raised on its team's service
counts as caused by it (the default of `link_hours`)."""


@dataclass(frozen=True)
class DeploymentFrequency:
    """Production deployments and deployment days per week in a team's period (`partial`:
    still running), and its band."""

    team_id: str | None
    period_start: datetime
    deployments: int
    deployment_days: int
    per_week: float | None
    partial: bool | None
    band: str | None


@dataclass(frozen=True)
class ChangeLeadTime:
    """Median hours from first commit to production of a team's changes, by stage."""

    team_id: str | None
    period_start: datetime
    changes: int
    lead_time_hours: float | None
    coding_hours: float | None
    pickup_hours: float | None
    review_hours: float | None
    deploy_hours: float | None
    band: str | None


@dataclass(frozen=True)
class ChangeFailureRate:
    """Production deployments of a team's period that caused an incident (`rate`: 0-1)."""

    team_id: str | None
    period_start: datetime
    deployments: int
    failed: int
    rate: float | None
    band: str | None


@dataclass(frozen=True)
class RecoveryTime:
    """Hours from an incident's opening to its resolution, in a team's period."""

    team_id: str | None
    period_start: datetime
    incidents: int
    median_hours: float | None
    p85_hours: float | None
    band: str | None


def report_year(year: int, option: str = "bands") -> p.ReportYear:
    """The DORA report `year` (given as `option`) whose performance bands apply: 2021, 2023 or
    2024."""
    for report in p.REPORT_YEARS:
        if year == report:
            return report
    raise UsageError(f"{option} {year}: use one of {', '.join(map(str, p.REPORT_YEARS))}")


def deployment_frequency(
    ws: Workspace, periods: Periods, bands: p.ReportYear, as_of: datetime
) -> list[DeploymentFrequency]:
    """Deployment frequency per team and period with the `bands` of that DORA report, as of
    `as_of` (a running period is partial)."""
    expr = p.deployment_frequency(ws.backend().table("deployment"), periods.grain, bands, as_of)
    return records(expr, DeploymentFrequency, periods)


def change_lead_time(ws: Workspace, periods: Periods, bands: p.ReportYear) -> list[ChangeLeadTime]:
    """Lead time for changes in hours (first commit to production), by stage."""
    b = ws.backend()
    expr = p.change_lead_time(
        b.table("change"), b.table("deployment"), b.table("deployment_change"), periods.grain, bands
    )
    return records(expr, ChangeLeadTime, periods)


def change_failure_rate(
    ws: Workspace, periods: Periods, bands: p.ReportYear, link_hours: float = p.LINK_HOURS
) -> list[ChangeFailureRate]:
    """Change failure rate: production deployments that caused an incident."""
    b = ws.backend()
    deployment = b.table("deployment")
    incident = p.caused_incidents(b.table("incident"), deployment, link_hours)
    expr = p.change_failure_rate(deployment, incident, periods.grain, bands)
    return records(expr, ChangeFailureRate, periods)


def recovery_time(
    ws: Workspace, periods: Periods, bands: p.ReportYear, link_hours: float = p.LINK_HOURS
) -> list[RecoveryTime]:
    """Failed deployment recovery time in hours (incident opened to resolved)."""
    b = ws.backend()
    incident = p.caused_incidents(b.table("incident"), b.table("deployment"), link_hours)
    return records(p.recovery_time(incident, periods.grain, bands), RecoveryTime, periods)


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
