"""Analysis of cases written as JSON (the format of ../shared/eval/stats_golden.json).

A case is an object with an `id`, a `kind` and its inputs; `analyze_case`
returns a result with the case's `id` and fields named as that file's
`expected` objects. Kinds and their fields (docs/experiments.md#from-json):

- `mean`, `proportion`, `mean_with_covariate`, `ratio`: `control` and
  `treatment` totals (`n`, `sum`, `sum_squares`, or `successes` for a
  proportion, CUPED and denominator sums), `relative` (default true),
  `method`, `alpha` (0.05), `prior` for `bayesian_gaussian_prior`,
  `sequential_tuning_n` (5000). Gives `effect`, `se`, `ci`, `p_value`, `dof`
  (and `theta` with CUPED), or for Bayesian methods `effect`, `sd`, `ci`,
  `chance_to_win`, `risk` ([control, treatment]); always `warnings`.
- `srm`: `observed` units and `expected_weights`; gives `chi2`, `p_value`.
- `correction`: `method` (`holm` or `bh`) and `p_values`; gives `adjusted`.
- `sample_size`: `metric` (`continuous` with `variance`, or `binomial` with
  `baseline_rate`), `mde_absolute` (or `mde_relative`), `alpha`, `power`,
  `arms` (2); gives `total_n`, `per_arm_n`.

>>> analyze_case({"id": "x", "kind": "correction", "method": "bh", "p_values": [0.01, 0.04]})
{'id': 'x', 'kind': 'correction', 'method': 'bh', 'adjusted': [0.02, 0.04]}
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from productops.errors import UsageError
from productops.experiments.bayesian import GaussianPrior, bayesian_test
from productops.experiments.corrections import adjust_p_values
from productops.experiments.effects import effect
from productops.experiments.flags import SRM, codes
from productops.experiments.frequentist import DEFAULT_TUNING_N, sequential_test, welch_test
from productops.experiments.power import sample_size
from productops.experiments.srm import SRM_THRESHOLD, srm_test
from productops.experiments.totals import ArmTotals, Kind

__all__ = ["METHODS", "analyze_case", "analyze_cases"]

METHODS = (
    "welch",
    "welch_delta_method",
    "welch_delta_method_cuped",
    "sequential_confidence_sequence",
    "bayesian_flat_prior",
    "bayesian_gaussian_prior",
)
_KINDS: dict[str, Kind] = {
    "mean": "mean",
    "mean_with_covariate": "mean",
    "proportion": "proportion",
    "ratio": "ratio",
}
_TOTALS = (
    "covariate_sum",
    "covariate_sum_squares",
    "sum_product",
    "denominator_sum",
    "denominator_sum_squares",
    "denominator_sum_product",
)


def analyze_cases(cases: Sequence[Any]) -> list[dict[str, Any]]:
    """`analyze_case` of each case, in order."""
    return [analyze_case(case, position=i) for i, case in enumerate(cases)]


def analyze_case(case: Mapping[str, Any], *, position: int = 0) -> dict[str, Any]:
    """The result of one case: its `id`, `kind`, `method` and the computed fields."""
    if not isinstance(case, Mapping):
        raise UsageError(f"case {position}: expected an object, got {type(case).__name__}")
    ident = case.get("id", f"case {position}")
    where = f"case {ident!r}"
    kind = case.get("kind")
    head: dict[str, Any] = {"id": ident, "kind": kind}
    if kind in _KINDS:
        return head | _comparison(case, _KINDS[str(kind)], where)
    if kind == "srm":
        return head | _srm(case, where)
    if kind == "correction":
        method = str(_get(case, "method", where))
        p = _number_list(case, "p_values", where)
        return head | {"method": method, "adjusted": adjust_p_values(p, method).tolist()}
    if kind == "sample_size":
        return head | _sample_size(case, where)
    known = [*_KINDS, "srm", "correction", "sample_size"]
    raise UsageError(f"{where}: kind {kind!r} is not one of {', '.join(known)}")


def _get(case: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in case:
        raise UsageError(f"{where}: {key!r} is missing")
    return case[key]


def _number(case: Mapping[str, Any], key: str, where: str, default: float | None = None) -> float:
    value = case.get(key, default)
    if value is None:
        raise UsageError(f"{where}: {key!r} is missing")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise UsageError(f"{where}: {key!r} must be a number, got {value!r}")
    return float(value)


def _number_list(case: Mapping[str, Any], key: str, where: str) -> list[float]:
    values = _get(case, key, where)
    if not isinstance(values, list) or not all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in values
    ):
        raise UsageError(f"{where}: {key!r} must be a list of numbers")
    return [float(v) for v in values]


def _arm(case: Mapping[str, Any], name: str, kind: Kind, where: str) -> ArmTotals:
    arm = case.get(name)
    if not isinstance(arm, Mapping):
        raise UsageError(f"{where}: {name!r} is missing; give its totals (n, sum, sum_squares)")
    at = f"{where}, {name}"
    total = arm.get("successes", arm.get("sum")) if kind == "proportion" else arm.get("sum")
    squares = None if kind == "proportion" else _number(arm, "sum_squares", at)
    optional = {k: _number(arm, k, at) for k in _TOTALS if k in arm}
    return ArmTotals.of(
        _number(arm, "n", at),
        _number({"sum": total}, "sum", at),
        squares,
        where=at,
        **optional,
    )


def _comparison(case: Mapping[str, Any], kind: Kind, where: str) -> dict[str, Any]:
    method = str(case.get("method", "welch_delta_method"))
    if method not in METHODS:
        raise UsageError(f"{where}: method {method!r} is not one of {', '.join(METHODS)}")
    relative = case.get("relative", True)
    if not isinstance(relative, bool):
        raise UsageError(f"{where}: 'relative' must be true or false")
    alpha = _number(case, "alpha", where, 0.05)
    cuped = method.endswith("_cuped") or case.get("kind") == "mean_with_covariate"
    e = effect(
        _arm(case, "control", kind, where),
        _arm(case, "treatment", kind, where),
        kind,
        relative=relative,
        cuped=cuped,
    )
    out: dict[str, Any] = {"method": method, "relative": relative}
    if method.startswith("bayesian"):
        prior = None
        if method == "bayesian_gaussian_prior":
            spec = case.get("prior")
            if not isinstance(spec, Mapping):
                raise UsageError(f"{where}: a Gaussian prior needs 'prior': {{mean, variance}}")
            prior = GaussianPrior(
                _number(spec, "mean", f"{where}, prior"),
                _number(spec, "variance", f"{where}, prior"),
                bool(spec.get("proper", True)),
            )
        b = bayesian_test(e, prior, alpha)
        out |= {
            "effect": float(b.effect[0]),
            "sd": float(b.sd[0]),
            "ci": [float(b.ci_low[0]), float(b.ci_high[0])],
            "chance_to_win": float(b.chance_to_win[0]),
            "risk": [float(b.risk_control[0]), float(b.risk_treatment[0])],
        }
    else:
        if method == "sequential_confidence_sequence":
            tuning = _number(case, "sequential_tuning_n", where, DEFAULT_TUNING_N)
            f = sequential_test(e, alpha, tuning)
        else:
            f = welch_test(e, alpha)
        out |= {
            "effect": float(f.effect[0]),
            "se": float(f.se[0]),
            "ci": [float(f.ci_low[0]), float(f.ci_high[0])],
            "p_value": float(f.p_value[0]),
            "dof": float(e.dof[0]),
        }
    if cuped:
        out["theta"] = float(e.theta[0])
    return out | {"warnings": codes(int(e.flags[0]))}


def _srm(case: Mapping[str, Any], where: str) -> dict[str, Any]:
    observed = _number_list(case, "observed", where)
    weights = case.get("expected_weights") or [1.0] * len(observed)
    if not isinstance(weights, list) or len(weights) != len(observed):
        raise UsageError(f"{where}: 'expected_weights' needs one weight per observed count")
    chi2, p = srm_test([observed], [weights])
    flagged = bool(p[0] < _number(case, "threshold", where, SRM_THRESHOLD))
    return {
        "chi2": float(chi2[0]),
        "p_value": float(p[0]),
        "warnings": codes(SRM if flagged else 0),
    }


def _sample_size(case: Mapping[str, Any], where: str) -> dict[str, Any]:
    metric = case.get("metric", "continuous")
    baseline: object
    if metric == "binomial":
        rate = _number(case, "baseline_rate", where)
        if not 0 < rate < 1:
            raise UsageError(f"{where}: 'baseline_rate' must be between 0 and 1")
        variance, baseline = rate * (1 - rate), rate
    elif metric == "continuous":
        variance = _number(case, "variance", where)
        baseline = case.get("baseline_mean")
    else:
        raise UsageError(f"{where}: metric {metric!r} is not continuous or binomial")
    if "mde_absolute" in case:
        mde = _number(case, "mde_absolute", where)
    else:
        if not isinstance(baseline, int | float) or not baseline:
            raise UsageError(
                f"{where}: 'mde_relative' needs 'baseline_mean' (or give mde_absolute)"
            )
        mde = _number(case, "mde_relative", where) * abs(float(baseline))
    arms = int(_number(case, "arms", where, 2))
    total = sample_size(
        variance,
        mde,
        alpha=_number(case, "alpha", where, 0.05),
        power=_number(case, "power", where, 0.8),
        arms=arms,
    )
    return {"total_n": int(total[0]), "per_arm_n": int(np.ceil(total[0] / arms))}
