"""What `productops demo` found on its organisation: per-team delivery, DORA, experiments,
product use, team health and activities, and each planted fact against what the analyses found."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from productops import ops
from productops.experiments.analysis import Settings
from productops.ops.scorecard import latest_complete
from productops.pillars import process as p
from productops.pillars.customer.trends import SpikeRule
from productops.pillars.data import compile_metric
from productops.registry.experiments import analyze_experiment, list_experiments
from productops.registry.feedback_analysis import spike_report
from productops.services.catalog import workspace_catalog
from productops.services.demo import demo_as_of, planted_themes
from productops.services.dora import TeamDora, team_dora
from productops.status import table_counts

if TYPE_CHECKING:
    from productops.services.checks import CheckRun
    from productops.workspace import Workspace

__all__ = [
    "Activities",
    "BlockingPair",
    "DemoSummary",
    "ExperimentGoal",
    "Finding",
    "TeamDelivery",
    "TeamHealth",
    "ThemeGroups",
    "Usage",
    "summarise",
]


@dataclass(frozen=True)
class TeamDelivery:
    """A team's delivery over the whole history: medians of lead and cycle time (days), its
    usual bottleneck status and share of cycle time, flow efficiency and conformance."""

    team_id: str
    lead_p50_days: float | None
    cycle_p50_days: float | None
    bottleneck: str
    bottleneck_share: float
    efficiency: float | None
    conformance: float


@dataclass(frozen=True)
class BlockingPair:
    """A team whose open work blocks another's."""

    blocking_team: str
    blocked_team: str
    links: int
    items_delayed: int
    blocked_days: float


@dataclass(frozen=True)
class ExperimentGoal:
    """An experiment's goal metric: relative effect, interval and Holm-adjusted p-value."""

    experiment_id: str
    team_id: str
    metric: str
    effect: float | None
    ci_low: float | None
    ci_high: float | None
    adjusted_p_value: float | None
    trustworthy: bool
    decision: str | None


@dataclass(frozen=True)
class Usage:
    """Product use of a segment in the last full month."""

    segment: str | None
    dau: float | None = None
    mau: float | None = None
    stickiness: float | None = None


@dataclass(frozen=True)
class TeamHealth:
    """A team's latest health check: indicators by colour, or suppressed (too few answers)."""

    team_id: str
    indicators: int
    respondents: int | None
    green: int
    amber: int
    red: int
    worse: int
    suppressed: bool


@dataclass(frozen=True)
class Activities:
    """Activities of one kind held over the whole history, and by how many teams."""

    kind: str
    held: int
    teams: int


@dataclass(frozen=True)
class Finding:
    """A planted fact and what the analyses found."""

    what: str
    found: str
    planted: str

    @property
    def matches(self) -> bool:
        """Whether the analyses found what was planted."""
        return self.found == self.planted


@dataclass(frozen=True)
class ThemeGroups:
    """How the English theme groups hold the planted themes: groups found, planted themes, the
    groups holding them, and the planted themes lying within one group."""

    groups: int
    planted: int
    holding: int
    whole: int


@dataclass(frozen=True)
class DemoSummary:
    """What the demo holds (`tables`: rows per table) and what its analyses found."""

    tables: list[dict[str, Any]]
    delivery: list[TeamDelivery]
    blocking_pairs: list[BlockingPair]
    experiments: list[ExperimentGoal]
    usage: list[Usage]
    team_health: list[TeamHealth]
    activities: list[Activities]
    dora: list[TeamDora]
    findings: list[Finding]
    theme_groups: ThemeGroups


def summarise(ws: Workspace, manifest: dict[str, Any], checks: list[CheckRun]) -> DemoSummary:
    """What the demo in `ws` (built with `manifest`, checked with `checks`) holds and what the
    analyses found, against what was planted."""
    as_of = demo_as_of(manifest)
    delivery, pairs = _delivery(ws, as_of)
    experiments = _experiments(ws, as_of)
    worst = max(delivery, key=lambda r: r.bottleneck_share)
    least = min(delivery, key=lambda r: r.conformance)
    planted_pair = manifest["blocking_pair"]
    findings = [
        Finding(
            "bottleneck",
            f"{worst.team_id} / {worst.bottleneck}",
            f"{manifest['bottleneck']['team_id']} / {manifest['bottleneck']['status']}",
        ),
        Finding(
            "blocking pair",
            f"{pairs[0].blocking_team} -> {pairs[0].blocked_team}",
            f"{planted_pair['blocking_team']} -> {planted_pair['blocked_team']}",
        ),
        Finding("non-conforming team", least.team_id, manifest["non_conforming_team"]),
        Finding(
            "experiment with an effect",
            _significant(experiments),
            manifest["experiment_with_effect"],
        ),
        Finding(
            "experiment with a sample-ratio mismatch",
            _untrustworthy(experiments),
            manifest["experiment_with_srm"],
        ),
        Finding(
            "accounts billed other than their CRM ARR (productops check)",
            _misbilled(checks),
            ", ".join(manifest["arr_discrepancy"]["account_ids"]),
        ),
        Finding(
            "theme with a weekly spike (productops feedback spikes)",
            _spiking(ws, manifest),
            f"{manifest['spike']['theme']}, week of {manifest['spike']['week_start']}",
        ),
    ]
    return DemoSummary(
        tables=[r for r in table_counts(ws.store) if r["rows"]],
        delivery=delivery,
        blocking_pairs=pairs,
        experiments=experiments,
        usage=_usage(ws, as_of),
        team_health=_team_health(ws),
        activities=_activities(ws),
        dora=_dora(ws, as_of),
        findings=findings,
        theme_groups=_theme_groups(ws, manifest),
    )


def _delivery(ws: Workspace, as_of: datetime) -> tuple[list[TeamDelivery], list[BlockingPair]]:
    """Per team over the whole history: lead and cycle time, bottleneck, efficiency, conformance;
    and the three most blocking team pairs."""
    b = ws.backend()
    work_item, transition = b.table("work_item"), b.table("work_item_transition")
    stays = p.status_stays(work_item, transition, as_of)
    waits = ws.config.workflow.wait_statuses
    lead = p.lead_time(work_item, "quarter").to_pandas()
    cycle = p.cycle_time(p.flow_items(work_item, stays), "quarter").to_pandas()
    efficiency = p.flow_efficiency(
        stays, work_item, b.table("work_item_flag"), as_of, "quarter", waits
    ).to_pandas()
    conformance = p.conformance(
        work_item, p.deviations(work_item, transition), "quarter"
    ).to_pandas()
    rows = [
        TeamDelivery(
            team_id=team,
            lead_p50_days=lead.loc[lead.team_id == team, "p50"].median(),
            cycle_p50_days=cycle.loc[cycle.team_id == team, "p50"].median(),
            bottleneck=bottleneck.status.mode().iloc[0],
            bottleneck_share=bottleneck.share_of_cycle.mean(),
            efficiency=efficiency.loc[efficiency.team_id == team, "efficiency"].mean(),
            conformance=conformance.loc[conformance.team_id == team, "share"].mean(),
        )
        for team, bottleneck in p.bottleneck(stays, work_item, "quarter", waits)
        .to_pandas()
        .groupby("team_id")
    ]
    blocks = p.cross_team_blocks(work_item, b.table("work_item_link"), as_of)
    pairs = p.blocking_pairs(blocks).limit(3).to_pyarrow().to_pylist()
    names = {f.name for f in fields(BlockingPair)}
    return rows, [BlockingPair(**{k: v for k, v in r.items() if k in names}) for r in pairs]


def _dora(ws: Workspace, as_of: datetime) -> list[TeamDora]:
    """Per team, the DORA keys of the latest full quarter with their 2024 bands."""
    return team_dora(ws, latest_complete(as_of, "quarter"), "quarter", as_of)


def _experiments(ws: Workspace, as_of: datetime) -> list[ExperimentGoal]:
    """Each experiment's goal results, frequentist with Holm's correction."""
    backend = ws.backend()
    rows = []
    for listed in list_experiments(backend):
        analysis = analyze_experiment(ws.store, backend, listed["id"], Settings(), as_of)
        rows += [
            ExperimentGoal(
                experiment_id=listed["id"],
                team_id=listed["team_id"],
                metric=r["metric"],
                effect=r["effect"],
                ci_low=r["ci_low"],
                ci_high=r["ci_high"],
                adjusted_p_value=r["adjusted_p_value"],
                trustworthy=analysis.summary["trustworthy"],
                decision=listed["decision"],
            )
            for r in analysis.rows
            if r["role"] == "goal"
        ]
    return rows


def _usage(ws: Workspace, as_of: datetime) -> list[Usage]:
    """Catalog metrics of the product's use in the last full month, by segment."""
    catalog = workspace_catalog(ws)
    month = (as_of - timedelta(days=1)).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    rows: dict[str, dict[str, Any]] = {}
    for name in ("dau", "mau", "stickiness"):
        expr = compile_metric(
            catalog, name, ws.backend().table, by=["segment"], grain="month", since=month
        )
        for r in expr.to_pyarrow().to_pylist():
            rows.setdefault(r["segment"], {"segment": r["segment"]})[name] = r["value"]
    return [Usage(**r) for r in sorted(rows.values(), key=lambda r: str(r["segment"]))]


def _team_health(ws: Workspace) -> list[TeamHealth]:
    """Each team's latest health check: indicators by colour, or why no figure is shown."""
    b = ws.backend()
    found = ops.health_check(
        b.table("survey"), b.table("survey_response"), ws.config.surveys.min_group
    )
    latest = found.filter(found.opened_at == found.opened_at.max().over(group_by=found.team_id))
    summary = latest.group_by("team_id").aggregate(
        indicators=latest.count(),
        respondents=latest.respondents.max(),
        green=(latest.colour == "green").sum(),
        amber=(latest.colour == "amber").sum(),
        red=(latest.colour == "red").sum(),
        worse=(latest.trend == "worse").sum(),
        suppressed=latest.suppressed.any(),
    )
    return [TeamHealth(**r) for r in summary.order_by("team_id").to_pyarrow().to_pylist()]


def _activities(ws: Workspace) -> list[Activities]:
    """Activities held per kind over the whole history."""
    counts = ops.activity_counts(ws.backend().table("activity"), "quarter")
    totals = counts.group_by("kind").aggregate(
        held=counts.activities.sum(), teams=counts.team_id.nunique()
    )
    return [Activities(**r) for r in totals.order_by("kind").to_pyarrow().to_pylist()]


def _significant(experiments: list[ExperimentGoal]) -> str:
    """The trustworthy experiment with the smallest adjusted p-value below 0.05."""
    found = [e for e in experiments if e.trustworthy and (e.adjusted_p_value or 1) < 0.05]
    return min(found, key=lambda e: e.adjusted_p_value or 1).experiment_id if found else "none"


def _untrustworthy(experiments: list[ExperimentGoal]) -> str:
    """The experiments whose results are not to be trusted (a sample-ratio mismatch)."""
    return ", ".join(sorted({e.experiment_id for e in experiments if not e.trustworthy})) or "none"


def _misbilled(checks: list[CheckRun]) -> str:
    """The accounts the demo's CRM-against-billing reconciliation found differing."""
    found = next(c for c in checks if c.id == "crm_vs_billing_arr")
    return ", ".join(found.failing_keys) or "none"


def _spiking(ws: Workspace, manifest: dict[str, Any]) -> str:
    """The planted theme whose themes found hold the steepest weekly spike, and its week."""
    spikes = spike_report(ws.backend(), SpikeRule())
    if not spikes:
        return "none"
    top = max(spikes, key=lambda s: s["ratio"])
    planted = planted_themes(ws, manifest["themes"])
    names = {
        theme: manifest["themes"][int(key.rsplit("-", 1)[1]) - 1]["name"]
        for key, found in planted.items()
        for theme in found
    }
    name = names.get(top["theme_id"], top["label"])
    return f"{name}, week of {top['week_start']:%Y-%m-%d}"


def _theme_groups(ws: Workspace, manifest: dict[str, Any]) -> ThemeGroups:
    """How the English theme groups hold the planted themes (each planted theme's themes found)."""
    group_of = dict(
        ws.store.sql(
            "SELECT id, group_id FROM theme WHERE language = 'en' AND group_id IS NOT NULL "
            "AND coalesce(status, 'active') = 'active'"
        )
    )
    planted = [
        {group_of[t] for t in themes if t in group_of}
        for themes in planted_themes(ws, manifest["themes"]).values()
    ]
    return ThemeGroups(
        groups=len(set(group_of.values())),
        planted=len(manifest["themes"]),
        holding=len({group for groups in planted for group in groups}),
        whole=sum(len(groups) == 1 for groups in planted),
    )
