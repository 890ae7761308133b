"""DORA's four keys per team and period, with their performance bands (docs/metrics.md#dora)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import ibis

from productops.durations import Grain, hours_between, period
from productops.pillars.process.dora_bands import BANDS, ReportYear
from productops.pillars.process.rates import as_of_utc, per_week, until

if TYPE_CHECKING:
    import ibis.expr.types as ir

__all__ = [
    "LINK_HOURS",
    "caused_incidents",
    "change_failure_rate",
    "change_lead_time",
    "deployment_frequency",
    "recovery_time",
]

PRODUCTION = ("production", "prod")
# How long before an incident a deployment may have caused it (caused_incidents).
LINK_HOURS = 24.0


def _band(value: ir.NumericValue, metric: str, year: ReportYear) -> ir.StringValue:
    higher_is_better = metric == "deployment_frequency"
    cases = [
        (value >= bound if higher_is_better else value <= bound, band)
        for band, bound in BANDS[year][metric]
    ]
    band: ir.StringValue = ibis.ifelse(value.isnull(), None, ibis.cases(*cases, else_="low"))
    return band


def _production(deployment: ir.Table) -> ir.Table:
    return deployment.filter(
        deployment.environment.lower().isin(PRODUCTION) & (deployment.result == "success")
    )


def deployment_frequency(
    deployment: ir.Table,
    grain: Grain = "month",
    year: ReportYear = 2024,
    as_of: datetime | None = None,
) -> ir.Table:
    """Successful production deployments per team and period, and on how many distinct days,
    up to `as_of` (default: now).

    `per_week` is deployment days per week (months and quarters at their average
    length); `partial` marks the period still running at `as_of`, whose rate is over
    its elapsed part. Returns `team_id, period_start, deployments, deployment_days,
    per_week, partial, band`.
    """
    moment = as_of_utc(as_of)
    d = until(_production(deployment), "finished_at", moment)
    d = d.mutate(period_start=period(d.finished_at, grain), day=period(d.finished_at, "day"))
    counts = d.group_by("team_id", "period_start").aggregate(
        deployments=d.count(), deployment_days=d.day.nunique()
    )
    rate, partial = per_week(counts, counts.deployment_days, grain, moment)
    return counts.mutate(
        per_week=rate, partial=partial, band=_band(rate, "deployment_frequency", year)
    ).order_by("team_id", "period_start")


def change_lead_time(
    change: ir.Table,
    deployment: ir.Table,
    deployment_change: ir.Table,
    grain: Grain = "month",
    year: ReportYear = 2024,
) -> ir.Table:
    """Lead time for changes: first commit to the first successful production deployment, in hours.

    The deployment that shipped a change is the first one `deployment_change`
    records; for a merged change it records none for, the team's first
    successful production deployment at or after the merge.

    Per team and period of the deployment, the median of the whole and of each
    stage: coding (first commit to pull request opened), pickup (opened to first
    review), review (first review to merge) and deploy (merge to deployment).
    Returns `team_id, period_start, changes, lead_time_hours, coding_hours,
    pickup_hours, review_hours, deploy_hours, band`.
    """
    prod = _production(deployment)
    shipped = deployment_change.join(prod, deployment_change.deployment_id == prod.id)
    recorded = shipped.group_by(shipped_change=shipped.change_id).aggregate(
        deployed_at=shipped.finished_at.min()
    )
    # Sources that do not record which changes a deployment shipped (GitHub Actions runs):
    # the team's first successful production deployment after the merge shipped it.
    merged = change.filter(change.merged_at.notnull()).anti_join(
        deployment_change, change.id == deployment_change.change_id
    )
    later = prod.select(deploy_team=prod.team_id, finished_at=prod.finished_at)
    after = merged.join(
        later, [merged.team_id == later.deploy_team, later.finished_at >= merged.merged_at]
    )
    inferred = after.group_by(shipped_change=after.id).aggregate(
        deployed_at=after.finished_at.min()
    )
    first = recorded.union(inferred)
    c = change.join(first, change.id == first.shipped_change)
    c = c.filter(c.first_commit_at.notnull())

    c = c.mutate(
        period_start=period(c.deployed_at, grain),
        total=hours_between(c.first_commit_at, c.deployed_at),
        coding=hours_between(c.first_commit_at, c.created_at),
        pickup=hours_between(c.created_at, c.first_review_at),
        review=hours_between(c.first_review_at, c.merged_at),
        deploy=hours_between(c.merged_at, c.deployed_at),
    )
    stats = c.group_by("team_id", "period_start").aggregate(
        changes=c.count(),
        lead_time_hours=c.total.median(),
        coding_hours=c.coding.median(),
        pickup_hours=c.pickup.median(),
        review_hours=c.review.median(),
        deploy_hours=c.deploy.median(),
    )
    return stats.mutate(band=_band(stats.lead_time_hours, "lead_time_hours", year)).order_by(
        "team_id", "period_start"
    )


def caused_incidents(
    incident: ir.Table, deployment: ir.Table, link_hours: float = LINK_HOURS
) -> ir.Table:
    """`incident` with `deployment_id` filled in for incidents raised on a service (PagerDuty,
    Opsgenie) whose source names no deployment: the team's last successful production
    deployment that finished at most `link_hours` before the incident was created (the
    later id on a tie). Other incidents keep the deployment their source gives, or none.
    """
    prod = _production(deployment)
    prod = prod.select(dep_id=prod.id, dep_team=prod.team_id, dep_at=prod.finished_at)
    open_ = incident.filter(incident.deployment_id.isnull() & incident.service.notnull())
    window = ibis.interval(seconds=round(link_hours * 3600))
    j = open_.join(
        prod,
        [
            open_.team_id == prod.dep_team,
            prod.dep_at <= open_.created_at,
            prod.dep_at >= open_.created_at - window,
        ],
    )
    order = j.dep_at.cast("string").concat(j.dep_id)
    linked = j.group_by(linked_id=j.id).aggregate(linked_dep=j.dep_id.argmax(order))
    out = incident.left_join(linked, incident.id == linked.linked_id)
    out = out.mutate(deployment_id=ibis.coalesce(out.deployment_id, out.linked_dep))
    return out.select(*incident.columns)


def change_failure_rate(
    deployment: ir.Table, incident: ir.Table, grain: Grain = "month", year: ReportYear = 2024
) -> ir.Table:
    """Share of successful production deployments followed by an incident they caused.

    Returns `team_id, period_start, deployments, failed, rate, band` (rate 0-1).
    """
    d = _production(deployment)
    caused = incident.filter(incident.deployment_id.notnull())
    caused = caused.group_by(failed_id=caused.deployment_id).aggregate(incidents=caused.count())
    d = d.left_join(caused, d.id == caused.failed_id)
    d = d.mutate(period_start=period(d.finished_at, grain), failed=d.failed_id.notnull())
    counts = d.group_by("team_id", "period_start").aggregate(
        deployments=d.count(), failed=d.failed.sum()
    )
    rate = counts.failed / counts.deployments
    return counts.mutate(rate=rate, band=_band(rate, "change_failure_rate", year)).order_by(
        "team_id", "period_start"
    )


def recovery_time(incident: ir.Table, grain: Grain = "month", year: ReportYear = 2024) -> ir.Table:
    """Failed deployment recovery time: incidents caused by a deployment, opened to resolved, in hours.

    Per team and period of the incident's creation. Returns `team_id,
    period_start, incidents, median_hours, p85_hours, band` (band on the median).
    """
    i = incident.filter(incident.deployment_id.notnull() & incident.resolved_at.notnull())
    i = i.mutate(
        period_start=period(i.created_at, grain),
        hours=hours_between(i.created_at, i.resolved_at),
    )
    stats = i.group_by("team_id", "period_start").aggregate(
        incidents=i.count(), median_hours=i.hours.median(), p85_hours=i.hours.quantile(0.85)
    )
    return stats.mutate(band=_band(stats.median_hours, "recovery_hours", year)).order_by(
        "team_id", "period_start"
    )
