"""Experiments: the registry's model and a vectorised statistics engine.

Statistics are pure functions over numpy arrays of per-arm totals (the
database aggregates, Python does the maths); per-unit rows are aggregated by
an Ibis expression (`arm_totals`) on any backend. May import `schema` and
`errors`; never `engine`, `ingest`, a backend, or anything above. Imported by
`registry`, `ops` and the interfaces. Definitions: docs/experiments.md.
"""

from productops.experiments.analysis import METHODS, Comparisons, Method, Results, Settings, analyze
from productops.experiments.bayesian import BayesianResult, GaussianPrior, bayesian_test
from productops.experiments.cases import analyze_case, analyze_cases
from productops.experiments.corrections import CORRECTIONS, Correction, adjust_p_values
from productops.experiments.effects import Effect, effect
from productops.experiments.flags import WARNINGS, codes
from productops.experiments.frequentist import FrequentistResult, sequential_test, welch_test
from productops.experiments.observations import TOTAL_COLUMNS, arm_totals
from productops.experiments.power import (
    achieved_power,
    days_remaining,
    minimum_detectable_effect,
    required_units,
    sample_size,
)
from productops.experiments.registry import (
    DECISIONS,
    ROLES,
    ArmSpec,
    Decision,
    Experiment,
    MetricSpec,
    Role,
    check_arms,
    check_metrics,
    decision_of,
    experiment_id,
    parse_arm,
    parse_metric,
    slug,
)
from productops.experiments.scorecard import experiment_setup_time, experiments_run, setup_time
from productops.experiments.srm import SRM_THRESHOLD, srm_test
from productops.experiments.totals import KINDS, ArmTotals, Kind

__all__ = [
    "CORRECTIONS",
    "DECISIONS",
    "KINDS",
    "METHODS",
    "ROLES",
    "SRM_THRESHOLD",
    "TOTAL_COLUMNS",
    "WARNINGS",
    "ArmSpec",
    "ArmTotals",
    "BayesianResult",
    "Comparisons",
    "Correction",
    "Decision",
    "Effect",
    "Experiment",
    "FrequentistResult",
    "GaussianPrior",
    "Kind",
    "Method",
    "MetricSpec",
    "Results",
    "Role",
    "Settings",
    "achieved_power",
    "adjust_p_values",
    "analyze",
    "analyze_case",
    "analyze_cases",
    "arm_totals",
    "bayesian_test",
    "check_arms",
    "check_metrics",
    "codes",
    "days_remaining",
    "decision_of",
    "effect",
    "experiment_id",
    "experiment_setup_time",
    "experiments_run",
    "minimum_detectable_effect",
    "parse_arm",
    "parse_metric",
    "required_units",
    "sample_size",
    "sequential_test",
    "setup_time",
    "slug",
    "srm_test",
    "welch_test",
]
