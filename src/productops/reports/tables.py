"""The report's tables as plain text rows, written alike by the HTML, PDF and Markdown files."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from productops.ops.maturity import MATURITY_PILLARS
from productops.reports.charts import Chart, interval_bar
from productops.reports.labels import Label, change, number, p_value, percent, period_label
from productops.reports.model import Report, Trend, Value

if TYPE_CHECKING:
    from productops.services.experiment_results import MetricResult

__all__ = [
    "Listing",
    "evidence_tables",
    "headline",
    "listings",
    "shown",
    "summary_tables",
    "team_tables",
    "trend_change",
]


@dataclass(frozen=True)
class Listing:
    """One of the report's tables as plain text."""

    title: str
    columns: list[str]
    rows: list[list[str]]
    empty: str  # what to say when there are no rows
    anchor: str = ""  # the HTML section's id
    wrap: bool = False  # long text: the PDF writes each row as wrapped lines, not cut to a cell
    charts: list[Chart] = field(default_factory=list)  # one per row, drawn in a last column
    chart_column: str = ""  # that column's title (HTML and PDF; Markdown has the text only)


def shown(value: Value | None, why: bool = True) -> str:
    """The value with its unit, else the reason it has none (or just "no value")."""
    if value is None or value.value is None:
        return (value.reason if value and why else None) or "no value"
    return number(value.value, value.unit)


def trend_change(trend: Trend) -> str:
    """The change from the previous period to the latest, with its unit; empty without both."""
    now, before = trend.latest, trend.previous
    if now is None or before is None or now.value is None or before.value is None:
        return ""
    return "=" if now.value == before.value else change(now.value - before.value, now.unit)


def headline(report: Report) -> str:
    """e.g. "2026 Q3: 5 of 8 criteria on target (21 without a target, 3 without a value)"."""
    latest = period_label(report.periods[-1], report.grain)
    s = report.summary
    if s is None:
        return f"Organisation scorecard, {latest}"
    return (
        f"{period_label(s.period_start, s.grain)}: {s.headline} ({s.no_target} without a "
        f"target, {s.no_value} without a value)"
    )


def summary_tables(report: Report) -> list[Listing]:
    """What needs attention: criteria off target, biggest moves, open incidents, feedback
    spikes and experiments with a decision due."""
    s = report.summary
    if s is None:
        return []
    name = report.team_name
    since = period_label(s.previous_start, s.grain) if s.previous_start else "the period before"
    return [
        Listing(
            f"Criteria off target, {period_label(s.period_start, s.grain)}",
            ["Team", "Criterion", "Value", "Target"],
            [[name(v.team_id), v.name, number(v.value, v.unit), number(v.target, v.unit)]
             for v in s.off_target],
            "Every criterion with a target meets it.",
            "off-target",
        ),
        Listing(
            f"Biggest moves since {since}",
            ["Criterion (organisation)", "Previous", "Latest", "Change", "Better or worse"],
            [[m.name, number(m.previous, m.unit), number(m.latest, m.unit),
              change(m.change, m.unit), "better" if m.better else "worse"] for m in s.moves],
            "No criterion moved.",
            "moves",
        ),
        Listing(
            f"Open incidents, {s.as_of:%Y-%m-%d}",
            ["Kind", "Incident", "Team", "What", "Opened"],
            [[i.kind, i.id, name(i.team_id) if i.team_id else "", i.what,
              f"{i.opened_at:%Y-%m-%d}"] for i in s.incidents],
            "No open incidents.",
            "incidents",
        ),
        Listing(
            f"Feedback spikes since {s.period_start:%Y-%m-%d}",
            ["Theme", "Week of", "Items", "Usual (median)", "Times usual"],
            [[sp.label or sp.theme_id, f"{sp.week_start:%Y-%m-%d}", str(sp.items),
              number(sp.baseline), f"{sp.ratio:.1f}"] for sp in s.spikes],
            "No feedback spikes.",
            "spikes",
        ),
        Listing(
            "Experiments with a decision due",
            ["Experiment", "Team", "Started", "Why"],
            [[d.name or d.experiment_id, name(d.team_id) if d.team_id else "",
              f"{d.started_at:%Y-%m-%d}", d.why] for d in s.decisions_due],
            "No experiment waits for a decision.",
            "decisions-due",
        ),
    ]  # fmt: skip


def listings(report: Report, team: str | None = None) -> dict[str, Listing]:
    """Open nudges and improvement initiatives as text rows (of one `team`: without its column)."""
    name = report.team_name
    nudges = [n for n in report.nudges if team is None or n.team == team]
    initiatives = [i for i in report.initiatives if team is None or i.team == team]

    def unit(lab: Label | None) -> str:
        return lab.unit if lab else ""

    found = {
        "nudges": Listing(
            "Open nudges",
            ["Team", "Rule", "Criterion", "Status", "Offered"],
            [
                [name(n.team), n.rule, n.criterion.name if n.criterion else "", n.status,
                 f"{n.offered_at:%Y-%m-%d}" if n.offered_at else ""]
                for n in nudges
            ],
            "No open nudges.",
            "nudges",
        ),
        "initiatives": Listing(
            "Improvement initiatives",
            ["Team", "Initiative", "Stage", "Criterion", "Baseline", "After"],
            [
                [name(i.team), i.title, i.stage or "", i.criterion.name if i.criterion else "",
                 number(i.baseline, unit(i.criterion)), number(i.after, unit(i.criterion))]
                for i in initiatives
            ],
            "No improvement initiatives.",
            "initiatives",
        ),
    }  # fmt: skip
    if team is None:
        return found
    return {
        k: Listing(x.title, x.columns[1:], [r[1:] for r in x.rows], x.empty)
        for k, x in found.items()
    }


def _keyed(value: float | None, unit: str, band: str | None) -> str:
    return f"{number(value, unit)} ({band})" if value is not None and band else number(value, unit)


def _dora_rows(report: Report, team: str | None = None) -> list[list[str]]:
    return [
        [report.team_name(d.team_id),
         _keyed(d.deploy_days_per_week, "days/week", d.frequency_band),
         _keyed(d.lead_time_hours, "hours", d.lead_time_band),
         _keyed(None if d.failure_rate is None else d.failure_rate * 100, "%", d.failure_band),
         _keyed(d.recovery_hours, "hours", d.recovery_band)]
        for d in report.dora
        if team is None or d.team_id == team
    ]  # fmt: skip


_DORA = ["Team", "Deployment frequency", "Lead time for changes", "Change failure rate",
         "Recovery time"]  # fmt: skip


def _effect(m: MetricResult, value: float | None) -> str:
    return percent(value) if m.relative else number(value)


def _scale(metrics: list[MetricResult], relative: bool) -> float:
    """The half-width of the axis the interval bars of an experiment's metrics share (those
    with relative effects, or those in their own units): 1.1 times the largest distance of
    an effect or an interval's end from zero (1 when there is none)."""
    ends = [abs(v) for m in metrics if m.relative == relative
            for v in (m.effect, m.ci_low, m.ci_high) if v is not None]  # fmt: skip
    return (max(ends, default=0.0) * 1.1) or 1.0


def evidence_tables(report: Report) -> list[Listing]:
    """DORA with its bands, demand by ARR and experiment results (with each effect's interval
    drawn as a bar, `charts.interval_bar`)."""
    latest = period_label(report.periods[-1], report.grain)
    experiments = []
    bars: list[Chart] = []
    for e in report.experiments:
        status = f"{e.status}: {e.decision}" if e.decision else e.status
        title = e.name or e.experiment_id
        if not e.trustworthy:
            title += " (sample-ratio mismatch)"
        for m in e.metrics:
            interval = f"{_effect(m, m.ci_low)} to {_effect(m, m.ci_high)}"
            experiments.append(
                [title, report.team_name(e.team_id) if e.team_id else "", status,
                 f"{m.metric} ({m.role or 'metric'})", _effect(m, m.effect), interval,
                 p_value(m.adjusted_p_value), ", ".join(m.warnings)]
            )  # fmt: skip
            bars.append(
                interval_bar(m.effect, m.ci_low, m.ci_high, _scale(e.metrics, m.relative),
                             m.direction, f"{m.metric}: effect {_effect(m, m.effect)}, "
                             f"interval {interval}, {m.direction} is better")
            )  # fmt: skip
    return [
        Listing(
            f"DORA, {latest} (bands: DORA 2024)",
            _DORA,
            _dora_rows(report),
            "No deployments, changes or incidents in the period.",
            "dora",
        ),
        Listing(
            f"Demand by ARR, {latest}",
            ["Theme", "Items", "Requesters", "Accounts", "ARR", "ARR before", "Churned ARR"],
            [
                [
                    d.label or d.theme_id,
                    str(d.items),
                    str(d.requesters),
                    str(d.accounts),
                    number(d.arr),
                    number(d.previous_arr),
                    number(d.churned_arr),
                ]
                for d in report.demand
            ],
            "No feedback from accounts in the period.",
            "demand",
        ),
        Listing(
            "Experiment results",
            [
                "Experiment",
                "Team",
                "Status",
                "Metric",
                "Effect",
                "95% interval",
                "p (Holm)",
                "Warnings",
            ],
            experiments,
            "No experiment ran in the report's periods.",
            "experiments",
            charts=bars,
            chart_column="Interval",
        ),
    ]


def team_tables(report: Report, team: str) -> list[Listing]:
    """One team's page: its criteria, maturity with reasons, nudges, initiatives and DORA."""
    latest = period_label(report.periods[-1], report.grain)
    trends = report.team_trends.get(team, [])
    lists = listings(report, team)
    return [
        Listing(
            f"Criteria, {latest}",
            ["Criterion", "Previous", "Latest", "Change", "Target", "Status"],
            [
                [
                    t.label.name,
                    shown(t.previous, why=False),
                    shown(t.latest),
                    trend_change(t),
                    number(t.latest.target, t.latest.unit) if t.latest else "",
                    t.status(),
                ]
                for t in trends
            ],
            "No criterion has a value for this team.",
        ),
        Listing(
            "Maturity and why",
            ["Pillar", "Stage", "Reasons"],
            [
                [p, m.stage, "; ".join(m.reasons)]
                for p in MATURITY_PILLARS
                if (m := report.maturity.get((team, p)))
            ],
            "No maturity readings yet.",
            wrap=True,
        ),
        lists["nudges"],
        lists["initiatives"],
        Listing("DORA", _DORA[1:], [r[1:] for r in _dora_rows(report, team)], "No DORA keys."),
    ]
