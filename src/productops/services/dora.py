"""DORA's four keys per team and period, with the performance bands of a DORA report's year
(definitions: docs/metrics.md), shared by `productops dora ...` and the API. `team`, `since` and
`until` filter as the commands' `--team`, `--since` and `--until`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from productops.durations import Grain
from productops.errors import UsageError
from productops.pillars import process as p
from productops.services.rows import records

if TYPE_CHECKING:
    from productops.workspace import Workspace

__all__ = [
    "ChangeFailureRate",
    "ChangeLeadTime",
    "DeploymentFrequency",
    "RecoveryTime",
    "change_failure_rate",
    "change_lead_time",
    "deployment_frequency",
    "recovery_time",
    "report_year",
]


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
    ws: Workspace,
    grain: Grain,
    bands: p.ReportYear,
    as_of: datetime,
    team: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[DeploymentFrequency]:
    """Deployment frequency per team and period with the `bands` of that DORA report, as of
    `as_of` (a running period is partial)."""
    expr = p.deployment_frequency(ws.backend().table("deployment"), grain, bands, as_of)
    return records(expr, DeploymentFrequency, team, since, until)


def change_lead_time(
    ws: Workspace,
    grain: Grain,
    bands: p.ReportYear,
    team: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[ChangeLeadTime]:
    """Lead time for changes in hours (first commit to production), by stage."""
    b = ws.backend()
    expr = p.change_lead_time(
        b.table("change"), b.table("deployment"), b.table("deployment_change"), grain, bands
    )
    return records(expr, ChangeLeadTime, team, since, until)


def change_failure_rate(
    ws: Workspace,
    grain: Grain,
    bands: p.ReportYear,
    team: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[ChangeFailureRate]:
    """Change failure rate: production deployments that caused an incident."""
    b = ws.backend()
    expr = p.change_failure_rate(b.table("deployment"), b.table("incident"), grain, bands)
    return records(expr, ChangeFailureRate, team, since, until)


def recovery_time(
    ws: Workspace,
    grain: Grain,
    bands: p.ReportYear,
    team: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[RecoveryTime]:
    """Failed deployment recovery time in hours (incident opened to resolved)."""
    expr = p.recovery_time(ws.backend().table("incident"), grain, bands)
    return records(expr, RecoveryTime, team, since, until)
