"""Alerts: what changed after a check run, a sync, a scorecard snapshot or a feedback update,
found by reading the state it left, and queued in the outbox once each (docs/notify.md).

Each alert has a deterministic key (its kind, its object, its period or moment), so that
running `queue_alerts` again after the same operation queues nothing new. Only what happened
since `since` (default: the last 7 days) is looked at, so turning alerts on does not replay
the workspace's history.

| kind | when | key |
| --- | --- | --- |
| incident_opened / incident_resolved | a data check failed and opened an incident / it passed and resolved it | the incident |
| theme_spike | a theme's week is a spike (`pillars.customer.trends.SpikeRule`) | theme, week |
| experiment_srm | a running experiment's sample-ratio p-value is below its threshold | experiment |
| experiment_guardrail | a guardrail's confidence interval lies wholly on its bad side | experiment, metric, arm |
| criterion_target | a criterion's met/not-met against the team's target flipped from the period before | criterion, team, period |
| nudge_offered | a nudge was offered to a team | nudge |
| sync_failing | a source's sync failed twice or more in a row (`SyncFailure`, from the schedules) | source, first failure |
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from productops.channels import Message, Part
from productops.experiments.analysis import Settings
from productops.ops.scorecard import criteria_in_use
from productops.pillars.customer.trends import SpikeRule, find_spikes, theme_trend
from productops.registry.experiments import analyze_experiment, list_experiments
from productops.services.notify import queue

if TYPE_CHECKING:
    from productops.services.actor import Actor
    from productops.workspace import Workspace

__all__ = [
    "Alert",
    "AlertRun",
    "SyncFailure",
    "find_alerts",
    "queue_alerts",
    "theme_spikes",
    "theme_teams",
]

WINDOW = timedelta(days=7)


@dataclass(frozen=True)
class SyncFailure:
    """A source whose latest syncs failed: how many in a row, since when, the last error."""

    source: str
    consecutive: int
    failing_since: datetime
    error: str


@dataclass(frozen=True)
class Alert:
    """One thing to tell: its key, kind, the teams it concerns (none: the organisation) and
    the message."""

    key: str
    kind: str
    teams: tuple[str, ...]
    message: Message


@dataclass(frozen=True)
class AlertRun:
    """The alerts found, and the outbox keys queued now (empty when all were queued before)."""

    alerts: list[Alert]
    queued: list[str] = field(default_factory=list)


def _alert(
    kind: str, obj: str, teams: Sequence[str], subject: str, summary: str, link: str, *parts: Part
) -> Alert:
    return Alert(
        f"alert.{kind}:{obj}",
        kind,
        tuple(sorted(set(teams))),
        Message(f"alert.{kind}", subject, summary, link, tuple(parts)),
    )


def _short(ident: str) -> str:
    return ident.removeprefix("productops:")


def _incidents(ws: Workspace, base: str, since: datetime) -> list[Alert]:
    rows = ws.store.sql(
        "SELECT id, replace(check_id, 'productops:', ''), target, opened_at, resolved_at, summary "
        "FROM data_incident WHERE opened_at >= ? OR resolved_at >= ? ORDER BY opened_at, id",
        [since, since],
    )
    found = []
    for ident, check, target, opened, resolved, summary in rows:
        link = f"{base}/data#incidents"
        if opened >= since:
            found.append(
                _alert(
                    "incident_opened",
                    ident,
                    (),
                    f"Data check {check} failed on {target}",
                    f"{summary} (incident opened {opened:%Y-%m-%d %H:%M} UTC)",
                    link,
                )
            )
        if resolved is not None and resolved >= since:
            hours = (resolved - opened).total_seconds() / 3600
            found.append(
                _alert(
                    "incident_resolved",
                    ident,
                    (),
                    f"Data check {check} passes again on {target}",
                    f"The incident is resolved after {hours:.1f} hours open.",
                    link,
                )
            )
    return found


def theme_teams(ws: Workspace) -> dict[str, list[str]]:
    """The teams of each theme: those owning work items its feedback is linked to (suggested or
    confirmed links)."""
    rows = ws.store.sql(
        "SELECT ft.theme_id, list(DISTINCT w.team_id ORDER BY w.team_id) FROM feedback_theme ft "
        "JOIN feedback_link l ON l.feedback_id = ft.feedback_id AND l.state <> 'rejected' "
        "JOIN work_item w ON w.id = l.work_item_id GROUP BY ft.theme_id"
    )
    return {theme: list(teams) for theme, teams in rows}


def theme_spikes(ws: Workspace, base: str, since: datetime) -> list[Alert]:
    """Spike alerts for the weeks ending after `since`, with the teams of each theme."""
    backend = ws.backend()
    trend = theme_trend(backend.table("feedback"), backend.table("feedback_theme"), "week")
    labels = dict(ws.store.sql("SELECT id, label FROM theme"))
    teams = theme_teams(ws)
    found = []
    for s in find_spikes(trend.to_pyarrow().to_pylist(), SpikeRule()):
        week = s.week_start.replace(tzinfo=UTC)
        if week + timedelta(days=7) <= since:
            continue
        label = labels.get(s.theme_id, s.theme_id)
        found.append(
            _alert(
                "theme_spike",
                f"{s.theme_id}:{week:%Y-%m-%d}",
                teams.get(s.theme_id, []),
                f"Feedback spike: {label}",
                f"{s.items} feedback items in the week of {week:%Y-%m-%d}, {s.ratio:.1f}x the "
                f"median of the weeks before ({s.baseline:g}); a spike is above {s.threshold:g}.",
                f"{base}/customer#spikes",
            )
        )
    return found


def _experiments(ws: Workspace, base: str, now: datetime) -> list[Alert]:
    found = []
    settings = Settings()
    for exp in list_experiments(ws.backend()):
        if exp["status"] != "running":
            continue
        analysis = analyze_experiment(ws.store, ws.backend(), exp["id"], settings, now)
        s, team, link = analysis.summary, exp["team_id"], f"{base}/experiments/{_short(exp['id'])}"
        if not s["trustworthy"]:
            found.append(
                _alert(
                    "experiment_srm",
                    exp["id"],
                    [team],
                    f"Sample ratio mismatch: {exp['name']}",
                    f"Units per arm {s['units']} differ from the planned split "
                    f"(chi-square {s['srm_chi2']:.1f}, p = {s['srm_p_value']:.2g}, below "
                    f"{settings.srm_threshold:g}); its results cannot be trusted until it is fixed.",
                    link,
                )
            )
        for row in analysis.rows:
            if row["role"] == "guardrail" and _wrong_way(row):
                found.append(
                    _alert(
                        "experiment_guardrail",
                        f"{exp['id']}:{row['metric']}:{row['arm']}",
                        [team],
                        f"Guardrail {row['metric']} moves the wrong way: {exp['name']}",
                        f"{row['arm']} against control: {_effect(row)} on {row['metric']}, "
                        f"where {row['direction']} is better.",
                        link,
                    )
                )
    return found


def _wrong_way(row: dict[str, Any]) -> bool:
    """The whole confidence interval of the effect lies on the metric's bad side."""
    low, high = row["ci_low"], row["ci_high"]
    if low is None or high is None:
        return False
    return bool(high < 0) if row["direction"] == "higher" else bool(low > 0)


def _effect(row: dict[str, Any]) -> str:
    scale = 100 if row.get("relative") else 1
    unit = "%" if row.get("relative") else ""
    return (
        f"{row['effect'] * scale:+.2f}{unit} "
        f"(95% interval {row['ci_low'] * scale:+.2f}{unit} to {row['ci_high'] * scale:+.2f}{unit})"
    )


def _targets(ws: Workspace, base: str, since: datetime) -> list[Alert]:
    criteria = {c.id: c for c in criteria_in_use(custom=ws.config.scorecard.custom)}
    rows = ws.store.sql(
        "SELECT metric, team_id, grain, period_start, value, target, computed_at, "
        "lag(value) OVER w, lag(target) OVER w FROM metric_snapshot "
        "WINDOW w AS (PARTITION BY metric, team_id, grain ORDER BY period_start) "
        "QUALIFY computed_at >= ? AND value IS NOT NULL AND target IS NOT NULL "
        "ORDER BY metric, team_id, period_start",
        [since],
    )
    found = []
    for metric, team, grain, period, value, target, _, before, before_target in rows:
        criterion = criteria.get(metric)
        if criterion is None or before is None:
            continue
        higher = criterion.direction == "higher"
        met = value >= target if higher else value <= target
        was = before >= (before_target or target) if higher else before <= (before_target or target)
        if met == was:
            continue
        verb = "reached" if met else "fell off"
        found.append(
            _alert(
                "criterion_target",
                f"{metric}:{team}:{grain}:{period:%Y-%m-%d}",
                [team],
                f"{team} {verb} its target for {criterion.name}",
                f"{criterion.name}: {value:g} {criterion.unit} in the {grain} of {period:%Y-%m-%d} "
                f"(target {target:g}, {criterion.direction} is better; {before:g} the {grain} "
                "before).",
                f"{base}/criteria/{metric}",
            )
        )
    return found


def _nudges(ws: Workspace, base: str, since: datetime) -> list[Alert]:
    rows = ws.store.sql(
        "SELECT id, team_id, rule, criterion, readiness FROM nudge "
        "WHERE offered_at >= ? ORDER BY offered_at, id",
        [since],
    )
    return [
        _alert(
            "nudge_offered",
            ident,
            [team],
            f"A nudge for {team}: {rule}",
            f"Offered because {criterion or 'a criterion'} shows a gap; accept or dismiss it.",
            f"{base}/teams/{team}#nudges",
        )
        for ident, team, rule, criterion, _ in rows
    ]


def _syncs(base: str, failures: Sequence[SyncFailure]) -> list[Alert]:
    return [
        _alert(
            "sync_failing",
            f"{f.source}:{f.failing_since:%Y%m%dT%H%M%S}",
            (),
            f"Sync of {f.source} failed {f.consecutive} times in a row",
            f"Failing since {f.failing_since:%Y-%m-%d %H:%M} UTC; last error: {f.error}",
            f"{base}/admin#connectors",
        )
        for f in failures
        if f.consecutive >= 2
    ]


def find_alerts(
    ws: Workspace,
    now: datetime,
    since: datetime | None = None,
    sync_failures: Sequence[SyncFailure] = (),
) -> list[Alert]:
    """Every alert the workspace's state shows for what happened from `since` (default 7 days
    before `now`) to `now`; `sync_failures` come from the schedules' run history."""
    since = since or now - WINDOW
    base = ws.config.notify.base_url.rstrip("/")
    return [
        *_incidents(ws, base, since),
        *theme_spikes(ws, base, since),
        *_experiments(ws, base, now),
        *_targets(ws, base, since),
        *_nudges(ws, base, since),
        *_syncs(base, sync_failures),
    ]


def queue_alerts(
    ws: Workspace,
    actor: Actor,
    now: datetime,
    since: datetime | None = None,
    sync_failures: Sequence[SyncFailure] = (),
) -> AlertRun:
    """Find the alerts (`find_alerts`) and queue each for its subscribers, once per key: call
    it after a check run, a sync, a scorecard snapshot or a nudge offer (a write when anything
    is queued: one audit row `alert.queue`)."""
    alerts = find_alerts(ws, now, since, sync_failures)
    items = [(a.key, a.message, team) for a in alerts for team in (a.teams or (None,))]
    return AlertRun(alerts, queue(ws, actor, "alert.queue", items, now))
