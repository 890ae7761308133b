"""An experiment's analysis from the store: totals read through Ibis, paired, tested.

Totals come from `experiment_arm_stat`, else from `experiment_observation`
aggregated by `productops.experiments.arm_totals` on the workspace's backend
(DuckDB or Spark). Each treatment arm is compared with the control on every
metric; the numbers come from `productops.experiments.analyze`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from productops.errors import UsageError
from productops.experiments.analysis import Comparisons, Settings, analyze
from productops.experiments.observations import TOTAL_COLUMNS, arm_totals
from productops.experiments.registry import Experiment
from productops.experiments.srm import srm_test
from productops.experiments.totals import ArmTotals

if TYPE_CHECKING:
    from ibis.backends import BaseBackend

__all__ = ["Analysis", "analyze_loaded"]

_OPTIONAL = TOTAL_COLUMNS[6:]


@dataclass(frozen=True)
class Analysis:
    """An experiment's analysis: a summary, one row per metric and arm, and its inputs."""

    experiment: Experiment
    settings: Settings
    summary: dict[str, Any]
    rows: list[dict[str, Any]]
    totals: list[dict[str, Any]]
    data: str
    data_as_of: datetime | None

    def inputs(self, metric: str, arm: str) -> str:
        """The inputs of one comparison as canonical JSON (what a decision's evidence freezes)."""
        control = self.summary["control"]
        totals = {
            side: next(
                (
                    {k: t[k] for k in TOTAL_COLUMNS[3:]}
                    for t in self.totals
                    if t["metric"] == metric and t["arm"] == name
                ),
                None,
            )
            for side, name in (("control", control), ("treatment", arm))
        }
        settings = asdict(self.settings)
        return json.dumps(
            {
                "experiment_id": self.experiment.id,
                "metric": metric,
                "control_arm": control,
                "treatment_arm": arm,
                "totals": totals,
                "settings": settings,
                "data": self.data,
                "data_as_of": self.data_as_of.isoformat() if self.data_as_of else None,
            },
            sort_keys=True,
            separators=(",", ":"),
        )


def _read_totals(
    backend: BaseBackend, ident: str
) -> tuple[list[dict[str, Any]], str, datetime | None]:
    """Per-arm totals of the experiment: `experiment_arm_stat`, else aggregated observations."""
    stat = backend.table("experiment_arm_stat")
    stat = stat.filter(stat.experiment_id == ident)
    rows: list[dict[str, Any]] = (
        stat.select(*TOTAL_COLUMNS, "ingested_at")
        .order_by("metric", "arm")
        .to_pyarrow()
        .to_pylist()
    )
    if rows:
        return rows, "experiment_arm_stat", max(r["ingested_at"] for r in rows)
    obs = backend.table("experiment_observation")
    obs = obs.filter(obs.experiment_id == ident)
    rows = arm_totals(obs).to_pyarrow().to_pylist()
    if not rows:
        return [], "none", None
    as_of = obs.aggregate(as_of=obs.ingested_at.max()).to_pyarrow().to_pylist()[0]["as_of"]
    return rows, "experiment_observation", as_of


def _kind(arms: list[dict[str, Any]]) -> str:
    if all(a["denominator_sum"] is not None for a in arms):
        return "ratio"
    if all(a["sum_squares"] == a["sum"] and 0 <= a["sum"] <= a["units"] for a in arms):
        return "proportion"
    return "mean"


def _checked(exp: Experiment, row: dict[str, Any]) -> dict[str, Any]:
    where = f"{exp.id}, metric {row['metric']!r}, arm {row['arm']!r}"
    if row["units"] is None or row["units"] < 0:
        raise UsageError(f"{where}: units is {row['units']!r}; it must be a count of 0 or more")
    if row["sum"] is None:
        raise UsageError(f"{where}: sum is missing; give the sum of the metric's values")
    if row["sum_squares"] is None:
        row = row | {"sum_squares": row["sum"]}  # values taken as 0 or 1
    if row["sum_squares"] < 0:
        raise UsageError(f"{where}: sum_squares is {row['sum_squares']!r}; it cannot be negative")
    return row


@dataclass(frozen=True)
class _Pairs:
    """Each treatment arm against the control, per metric: labels and both sides' totals."""

    control: str | None
    arms: list[str]
    metrics: list[str]
    by_metric: dict[str, dict[str, dict[str, Any]]]
    labels: list[tuple[str, str, str]]  # metric, treatment arm, kind
    control_rows: list[dict[str, Any]]
    treatment_rows: list[dict[str, Any]]


def _pairs(exp: Experiment, totals: list[dict[str, Any]]) -> _Pairs:
    by_metric: dict[str, dict[str, dict[str, Any]]] = {}
    for t in totals:
        by_metric.setdefault(t["metric"], {})[t["arm"]] = t
    seen = sorted({t["arm"] for t in totals})
    registered = [a.name for a in exp.arms]
    arms = [a for a in registered if a in seen] + [a for a in seen if a not in registered]
    control = registered[0] if registered else ("control" if "control" in seen else None)
    if totals and control is None:
        raise UsageError(
            f"{exp.id}: no control arm: register the arms (the first is the control) "
            "or name one 'control'"
        )
    metrics = [m.name for m in exp.metrics if m.name in by_metric]
    metrics += sorted(m for m in by_metric if m not in metrics)
    pairs = _Pairs(control, arms, metrics, by_metric, [], [], [])
    for metric in metrics:
        per_arm = by_metric[metric]
        if control not in per_arm:
            raise UsageError(
                f"{exp.id}, metric {metric!r}: no totals for the control arm {control!r} "
                f"(found {', '.join(sorted(per_arm))}); add them to experiment_arm_stat"
            )
        kind = _kind(list(per_arm.values()))
        for arm in arms:
            if arm != control and arm in per_arm:
                pairs.labels.append((metric, arm, kind))
                pairs.control_rows.append(per_arm[control])
                pairs.treatment_rows.append(per_arm[arm])
    return pairs


def _arm_totals(rows: list[dict[str, Any]], where: str) -> ArmTotals:
    def column(name: str) -> list[float]:
        return [float("nan") if r[name] is None else float(r[name]) for r in rows]

    return ArmTotals.of(
        column("units"),
        column("sum"),
        column("sum_squares"),
        where=where,
        **{name: column(name) for name in _OPTIONAL},
    )


def _srm(exp: Experiment, pairs: _Pairs) -> tuple[dict[str, int], float, float]:
    """Units per arm of the first goal metric, and the chi-square test against the plan."""
    if not pairs.metrics:
        return {}, 0.0, 1.0
    goals = [m.name for m in exp.metrics if m.role == "goal" and m.name in pairs.by_metric]
    first = pairs.by_metric[(goals or pairs.metrics)[0]]
    units = {a: int(first[a]["units"]) if a in first else 0 for a in pairs.arms}
    shares = {a.name: a.share for a in exp.arms}
    weights = [shares.get(a, float("nan")) for a in pairs.arms]
    if not np.isfinite(weights).all():
        weights = [1.0] * len(pairs.arms)
    chi2, p = srm_test([list(units.values())], [weights])
    return units, float(chi2[0]), float(p[0])


def analyze_loaded(
    exp: Experiment, backend: BaseBackend, settings: Settings, now: datetime
) -> Analysis:
    """Analyse a registered experiment from its totals (see `productops.experiments.analyze`).

    The control is the arm marked `is_control` (else the one named control);
    the sample-ratio check compares the units of the first goal metric with the
    planned shares (an even split when none are registered).
    """
    raw, data, as_of = _read_totals(backend, exp.id)
    totals = [_checked(exp, r) for r in raw]
    pairs = _pairs(exp, totals)
    units, srm_chi2, srm_p = _srm(exp, pairs)
    days_running = None
    if exp.status == "running" and exp.started_at is not None:
        days_running = max((now - exp.started_at).total_seconds() / 86_400, 0.0)
    rows: list[dict[str, Any]] = []
    if pairs.labels:
        comparisons = Comparisons.of(
            family=[0] * len(pairs.labels),
            metric=[m for m, _, _ in pairs.labels],
            arm=[a for _, a, _ in pairs.labels],
            role=[exp.role(m) for m, _, _ in pairs.labels],
            lower_is_better=[exp.lower_is_better(m) for m, _, _ in pairs.labels],
            kind=[k for _, _, k in pairs.labels],
            control=_arm_totals(pairs.control_rows, exp.id),
            treatment=_arm_totals(pairs.treatment_rows, exp.id),
        )
        results = analyze(
            comparisons,
            settings,
            srm_p_value=[srm_p],
            days_running=[np.nan if days_running is None else days_running],
        )
        rows = results.rows()
    summary = {
        "experiment_id": exp.id,
        "name": exp.name,
        "team_id": exp.team_id,
        "status": exp.status,
        "control": pairs.control,
        "units": " / ".join(f"{a} {n:,}" for a, n in units.items()),
        "srm_chi2": srm_chi2,
        "srm_p_value": srm_p,
        "trustworthy": srm_p >= settings.srm_threshold,
        "days_running": days_running,
        "data": data,
        "data_as_of": as_of,
    }
    return Analysis(exp, settings, summary, rows, totals, data, as_of)
