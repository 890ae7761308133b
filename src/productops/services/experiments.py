"""Experiment reads shared by `productops experiment list|analyze` and the API: the registry's
experiments, and an experiment's analysis from its stored totals (docs/experiments.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from productops.experiments.analysis import Method, Settings
from productops.experiments.bayesian import GaussianPrior
from productops.experiments.corrections import Correction
from productops.registry import experiments as registry
from productops.services.rows import typed

if TYPE_CHECKING:
    from productops.workspace import Workspace

__all__ = [
    "Correction",
    "ExperimentAnalysis",
    "ExperimentListed",
    "ExperimentSummary",
    "Method",
    "analysis_settings",
    "experiment_analysis",
    "list_experiments",
]


@dataclass(frozen=True)
class ExperimentListed:
    """An experiment: its status and setup time in days (created to started)."""

    id: str
    team_id: str | None
    status: str
    created_at: datetime | None
    started_at: datetime | None
    setup_days: float | None
    decision: str | None


@dataclass(frozen=True)
class ExperimentSummary:
    """An analysis' head: units per arm, the sample-ratio test (`trustworthy` when its p-value
    is at least the threshold), days running and where the totals come from, as of when."""

    experiment_id: str
    name: str | None
    team_id: str | None
    status: str
    control: str | None
    units: str
    srm_chi2: float
    srm_p_value: float
    trustworthy: bool
    days_running: float | None
    data: str
    data_as_of: datetime | None


@dataclass(frozen=True)
class ExperimentAnalysis:
    """An experiment's analysis: its summary, and one row per metric and arm (the method's
    fields: effect, interval, p-value or chance to win, power, warnings)."""

    experiment: ExperimentSummary
    metrics: list[dict[str, Any]]


def list_experiments(ws: Workspace, team: str | None = None) -> list[ExperimentListed]:
    """Every experiment (of `team`), by team, creation and id."""
    return typed(registry.list_experiments(ws.backend(), team), ExperimentListed)


def experiment_analysis(
    ws: Workspace, ref: str, settings: Settings, now: datetime
) -> ExperimentAnalysis:
    """Analyse experiment `ref` (its id or a unique start of its part after `source:`) with
    `settings`, as of `now`."""
    analysis = registry.analyze_experiment(ws.store, ws.backend(), ref, settings, now)
    [summary] = typed([analysis.summary], ExperimentSummary)
    return ExperimentAnalysis(summary, analysis.rows)


def analysis_settings(
    method: Method = "frequentist",
    *,
    absolute: bool = False,
    cuped: bool = True,
    alpha: float = 0.05,
    correction: Correction = "holm",
    prior_mean: float | None = None,
    prior_variance: float = 0.01,
    target_effect: float = 0.05,
    power: float = 0.8,
) -> Settings:
    """How to analyse: `method`, absolute effects or relative lift, CUPED, the significance
    level, the correction across goal metrics, a Gaussian prior of the relative lift (bayesian,
    with `prior_mean`), and the lift the test should find with `power`."""
    prior = None if prior_mean is None else GaussianPrior(prior_mean, prior_variance)
    return Settings(
        method=method,
        relative=not absolute,
        cuped=cuped,
        alpha=alpha,
        correction=correction,
        prior=prior,
        target_effect=target_effect,
        power=power,
    )
