"""The statistics engine: dead ends, bad input, ratio metrics, CUPED, corrections, power, SRM."""

from __future__ import annotations

import doctest
import importlib
import itertools
import pkgutil

import numpy as np
import pytest

import productops.experiments
from productops.errors import UsageError
from productops.experiments.analysis import METHODS, Comparisons, Settings, analyze
from productops.experiments.bayesian import GaussianPrior, bayesian_test
from productops.experiments.cases import analyze_case
from productops.experiments.corrections import adjust_p_values
from productops.experiments.effects import effect
from productops.experiments.frequentist import sequential_test, welch_test
from productops.experiments.power import (
    achieved_power,
    days_remaining,
    minimum_detectable_effect,
    required_units,
    sample_size,
)
from productops.experiments.srm import srm_test
from productops.experiments.totals import ArmTotals

CONTROL = ArmTotals.of(3407, 1396.87, 52377.9767)
TREATMENT = ArmTotals.of(3461, 2422.7, 134698.29)


def _totals(values: np.ndarray, covariate: np.ndarray | None = None) -> ArmTotals:
    """Totals of rows of per-unit `values` (one comparison per row)."""
    extra = {}
    if covariate is not None:
        extra = {
            "covariate_sum": covariate.sum(axis=1),
            "covariate_sum_squares": (covariate**2).sum(axis=1),
            "sum_product": (values * covariate).sum(axis=1),
        }
    n = np.full(values.shape[0], values.shape[1])
    return ArmTotals.of(n, values.sum(axis=1), (values**2).sum(axis=1), **extra)


@pytest.mark.parametrize(
    "module", [m.name for m in pkgutil.iter_modules(productops.experiments.__path__)]
)
def test_examples_in_docstrings_run(module: str) -> None:
    found = doctest.testmod(importlib.import_module(f"productops.experiments.{module}"))
    assert found.failed == 0


# -- dead ends: neutral results with a code, never NaN, never a crash --------------------------


@pytest.mark.parametrize(
    ("control", "treatment", "code"),
    [
        (ArmTotals.of(0, 0, 0), ArmTotals.of(10, 5, 5), "empty_arm"),
        (ArmTotals.of(10, 50, 250), ArmTotals.of(10, 60, 400), "zero_variance"),
        (ArmTotals.of(1, 5, 25), ArmTotals.of(10, 60, 500), "zero_variance"),
        (ArmTotals.of(10, 0, 4), ArmTotals.of(10, 3, 9), "zero_baseline"),
    ],
)
def test_dead_ends_give_a_neutral_result_and_a_code(
    control: ArmTotals, treatment: ArmTotals, code: str
) -> None:
    e = effect(control, treatment, "mean")
    for result in (welch_test(e), sequential_test(e)):
        assert (result.effect[0], result.ci_low[0], result.ci_high[0], result.p_value[0]) == (
            0.0,
            0.0,
            0.0,
            1.0,
        )
    b = bayesian_test(e, GaussianPrior(0.1, 0.1))
    assert (b.chance_to_win[0], b.risk_control[0], b.risk_treatment[0]) == (0.5, 0, 0)
    c = Comparisons.of(
        family=[0], metric=["m"], arm=["t"], role=["goal"], kind=["mean"],
        control=control, treatment=treatment,
    )  # fmt: skip
    for method in ("frequentist", "sequential", "bayesian"):
        row = analyze(c, Settings(method=method), srm_p_value=[0.5], days_running=[3]).rows()[0]
        assert code in row["warnings"]
        assert not any(isinstance(v, float) and not np.isfinite(v) for v in row.values())


def test_a_zero_baseline_is_fine_for_an_absolute_effect() -> None:
    e = effect(ArmTotals.of(10, 0, 4), ArmTotals.of(10, 3, 9), "mean", relative=False)
    assert e.flags[0] == 0
    assert e.estimate[0] == pytest.approx(0.3)


@pytest.mark.parametrize(
    ("n", "total", "squares", "message"),
    [
        (-3, 1.0, 1.0, "checkout: n (units) is -3.0; it must be a count of 0 or more"),
        (2.5, 1.0, 1.0, "a whole number of units"),
        (10, float("nan"), 1.0, "sum is nan"),
        (10, 1.0, -1.0, "sum_squares is -1.0"),
    ],
)
def test_bad_totals_are_clear_errors(n: float, total: float, squares: float, message: str) -> None:
    with pytest.raises(UsageError, match=message.replace("(", r"\(").replace(")", r"\)")):
        ArmTotals.of(n, total, squares, where="checkout")


def test_totals_of_different_lengths_and_unknown_sums_are_errors() -> None:
    with pytest.raises(UsageError, match="different lengths"):
        ArmTotals.of([1, 2], [1.0], [1.0])
    with pytest.raises(UsageError, match="unknown totals"):
        ArmTotals.of(1, 1.0, 1.0, covariate=[1.0])
    with pytest.raises(UsageError, match="metric kind 'median'"):
        effect(CONTROL, TREATMENT, "median")


def test_a_case_without_control_is_an_error_naming_the_case() -> None:
    case = {"id": "c1", "kind": "mean", "treatment": {"n": 3, "sum": 1, "sum_squares": 1}}
    with pytest.raises(UsageError, match="case 'c1': 'control' is missing"):
        analyze_case(case)
    with pytest.raises(UsageError, match="kind 'median'"):
        analyze_case({"id": "c2", "kind": "median"})


# -- methods ---------------------------------------------------------------------------------


def test_vectorised_results_equal_one_at_a_time() -> None:
    rng = np.random.default_rng(1)
    n = rng.integers(50, 500, (2, 40)).astype(float)
    sums = n * rng.uniform(1, 2, (2, 40))
    squares = sums**2 / n + (n - 1) * rng.uniform(0.5, 2, (2, 40))
    a, b = ArmTotals.of(n[0], sums[0], squares[0]), ArmTotals.of(n[1], sums[1], squares[1])
    together = welch_test(effect(a, b, "mean"))
    for i in (0, 17, 39):
        alone = welch_test(effect(a.take(np.array([i])), b.take(np.array([i])), "mean"))
        assert alone.p_value[0] == pytest.approx(together.p_value[i], rel=1e-12)
        assert alone.ci_high[0] == pytest.approx(together.ci_high[i], rel=1e-12)


def test_tiny_p_values_keep_their_precision() -> None:
    e = effect(ArmTotals.of(100_000, 10_000), ArmTotals.of(100_000, 13_000), "proportion")
    p = welch_test(e).p_value[0]
    assert 0 < p < 1e-70  # 1 - cdf would round to exactly 0


def test_proportions_use_p_times_one_minus_p() -> None:
    e = effect(ArmTotals.of(28, 14), ArmTotals.of(30, 16), "proportion", relative=False)
    assert e.variance[0] == pytest.approx(0.25 / 28 + (16 / 30) * (14 / 30) / 30)


def test_ratio_metric_variance_matches_a_simulation() -> None:
    """Delta-method variance of sum(m) / sum(d) against the spread of many simulated ratios."""
    rng = np.random.default_rng(7)
    sims, n = 4000, 400
    d = rng.poisson(5, (2, sims, n)).astype(float) + 1
    m = d * rng.uniform(0.1, 0.3, (2, sims, n)) + rng.normal(0, 0.5, (2, sims, n))
    arms = [
        ArmTotals.of(
            np.full(sims, n), m[i].sum(1), (m[i] ** 2).sum(1),
            denominator_sum=d[i].sum(1), denominator_sum_squares=(d[i] ** 2).sum(1),
            denominator_sum_product=(m[i] * d[i]).sum(1),
        )
        for i in (0, 1)
    ]  # fmt: skip
    e = effect(arms[0], arms[1], "ratio", relative=False)
    assert np.sqrt(e.variance.mean()) == pytest.approx(e.estimate.std(), rel=0.05)


def test_cuped_narrows_the_interval_when_the_covariate_predicts() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(10, 3, (2, 1, 2000))
    y = x + rng.normal(0, 1, (2, 1, 2000))
    y[1] += 0.1
    a, b = _totals(y[0], x[0]), _totals(y[1], x[1])
    plain = welch_test(effect(a, b, "mean", relative=False))
    adjusted_effect = effect(a, b, "mean", relative=False, cuped=True)
    adjusted = welch_test(adjusted_effect)
    assert adjusted_effect.theta[0] == pytest.approx(1.0, abs=0.05)
    assert adjusted.se[0] < plain.se[0] / 2


def test_a_covariate_that_does_not_vary_skips_cuped_with_a_code() -> None:
    a = ArmTotals.of(10, 20, 50, covariate_sum=10, covariate_sum_squares=10, sum_product=20)
    b = ArmTotals.of(10, 25, 75, covariate_sum=10, covariate_sum_squares=10, sum_product=25)
    e = effect(a, b, "mean", cuped=True)
    assert e.theta[0] == 0
    assert analyze_case({"id": "x", "kind": "mean_with_covariate", "method": "welch_delta_method_cuped",
                         "control": {"n": 10, "sum": 20, "sum_squares": 50, "covariate_sum": 10,
                                     "covariate_sum_squares": 10, "sum_product": 20},
                         "treatment": {"n": 10, "sum": 25, "sum_squares": 75, "covariate_sum": 10,
                                       "covariate_sum_squares": 10, "sum_product": 25}})["warnings"] == ["cuped_skipped"]  # fmt: skip


def test_a_proper_prior_pulls_towards_its_mean_and_narrows() -> None:
    e = effect(CONTROL, TREATMENT, "mean")
    flat, pulled = bayesian_test(e), bayesian_test(e, GaussianPrior(0.0, 0.01))
    assert 0 < pulled.effect[0] < flat.effect[0]
    assert pulled.sd[0] < flat.sd[0]
    with pytest.raises(UsageError, match="prior variance"):
        GaussianPrior(0.0, 0.0)


def test_mixed_kinds_are_analysed_each_by_its_own_rule() -> None:
    a = ArmTotals.of([100, 3407], [40, 1396.87], [40, 52377.9767])
    b = ArmTotals.of([100, 3461], [50, 2422.7], [50, 134698.29])
    mixed = effect(a, b, np.array(["proportion", "mean"]))
    alone = effect(a.take(np.array([0])), b.take(np.array([0])), "proportion")
    assert mixed.variance[0] == alone.variance[0]
    assert mixed.estimate[1] == pytest.approx(0.70732, abs=1e-5)


# -- corrections, SRM, power -------------------------------------------------------------------


def _holm_reference(p: list[float]) -> list[float]:
    m, order = len(p), sorted(range(len(p)), key=lambda i: p[i])
    out, running = [0.0] * m, 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        out[i] = running
    return out


def _bh_reference(p: list[float]) -> list[float]:
    m, order = len(p), sorted(range(len(p)), key=lambda i: p[i])
    out, running = [0.0] * m, 1.0
    for rank in range(m, 0, -1):
        i = order[rank - 1]
        running = min(running, min(1.0, m * p[i] / rank))
        out[i] = running
    return out


def test_corrections_per_family_equal_one_family_at_a_time() -> None:
    rng = np.random.default_rng(11)
    p = rng.uniform(0, 0.2, 60) ** 2
    p[5] = 1e-80  # keeps its precision (no offset tricks)
    family = rng.integers(0, 7, 60)
    for method, reference in (("holm", _holm_reference), ("bh", _bh_reference)):
        together = adjust_p_values(p, method, family)
        for f in range(7):
            mine = family == f
            assert together[mine] == pytest.approx(reference(list(p[mine])), rel=1e-12)
    assert adjust_p_values(p, "holm", family)[5] == pytest.approx(
        1e-80 * np.sum(family == family[5])
    )
    assert (adjust_p_values(p, "none") == p).all()
    with pytest.raises(UsageError, match="correction 'sidak'"):
        adjust_p_values(p, "sidak")


def test_srm_flags_a_mismatch_and_handles_empty_and_padded_arms() -> None:
    chi2, p = srm_test([[5000, 5000, 0], [5400, 4600, 0], [0, 0, 0]], [[0.5, 0.5, 0]] * 3)
    assert p[0] == 1.0
    assert p[1] < 1e-10
    assert (chi2[2], p[2]) == (0, 1)
    _, unequal = srm_test([[2000, 8000]], [0.2, 0.8])
    assert unequal[0] == pytest.approx(1.0)
    with pytest.raises(UsageError, match="counts of 0 or more"):
        srm_test([[-1, 5]], [0.5, 0.5])


def test_power_sample_size_and_mde_agree() -> None:
    n = sample_size(variance=4.0, mde=0.1, alpha=0.05, power=0.8)[0]
    assert achieved_power(4.0, n, 0.1)[0] == pytest.approx(0.8, abs=0.001)
    assert minimum_detectable_effect(4.0, n, power=0.8)[0] == pytest.approx(0.1, rel=1e-3)
    three_arms = sample_size(variance=4.0, mde=0.1, arms=3)[0]
    assert three_arms == n // 2 * 3
    assert sample_size(4.0, 0.1, shares=[0.5, 0.5])[0] == pytest.approx(n, abs=2)
    with pytest.raises(UsageError, match=r"power 1\.5"):
        sample_size(4.0, 0.1, power=1.5)


def test_days_remaining_from_the_accrual_so_far() -> None:
    assert days_remaining(1000, 4000, 10)[()] == pytest.approx(30)
    assert days_remaining(5000, 4000, 10)[()] == 0
    assert days_remaining(0, 4000, 10)[()] == np.inf
    # Halving the standard error takes four times the units.
    assert required_units(0.02, 1000, 0.028 * 2)[()] == pytest.approx(
        4 * required_units(0.02, 1000, 0.028 * 4)[()]
    )


def test_analysis_marks_srm_underpowered_and_adjusts_goals_only() -> None:
    a = ArmTotals.of([3407, 3407, 3407], [1396.87] * 3, [52377.9767] * 3)
    b = ArmTotals.of([3461, 3461, 3461], [2422.7, 1400, 1400], [134698.29, 53000, 53000])
    roles = ["goal", "goal", "guardrail"]
    c = Comparisons.of(
        family=[0, 0, 0], metric=["a", "b", "c"], arm=["t"] * 3, role=roles, kind=["mean"] * 3,
        control=a, treatment=b,
    )  # fmt: skip
    rows = analyze(c, Settings(), srm_p_value=[1e-5]).rows()
    assert all("srm" in r["warnings"] for r in rows)
    assert rows[0]["adjusted_p_value"] == pytest.approx(min(1, 2 * rows[0]["p_value"]))
    assert rows[2]["adjusted_p_value"] is None
    assert "underpowered" in rows[1]["warnings"]
    assert rows[0]["days_remaining"] is None  # not running


def test_every_method_and_scale_runs_on_every_kind() -> None:
    a = ArmTotals.of(
        [100, 100, 100], [40, 500, 30], [40, 3000, 20],
        covariate_sum=[35, 480, np.nan], covariate_sum_squares=[35, 2800, np.nan],
        sum_product=[30, 2700, np.nan], denominator_sum=[np.nan, np.nan, 100],
        denominator_sum_squares=[np.nan, np.nan, 140], denominator_sum_product=[np.nan, np.nan, 35],
    )  # fmt: skip
    kinds = ["proportion", "mean", "ratio"]
    c = Comparisons.of(
        family=[0, 0, 0], metric=kinds, arm=["t"] * 3, role=["goal", "goal", "secondary"],
        kind=kinds, control=a, treatment=a,
    )  # fmt: skip
    for method, relative, cuped in itertools.product(METHODS, (True, False), (True, False)):
        settings = Settings(method=method, relative=relative, cuped=cuped)
        for row in analyze(c, settings).rows():
            assert row["effect"] == pytest.approx(0, abs=1e-12)
            assert row["ci_low"] < 0 < row["ci_high"]


def test_lower_is_better_turns_chance_to_win_and_swaps_the_risks() -> None:
    both = ArmTotals.of(
        np.array([3407.0, 3407.0]),
        np.array([1396.87, 1396.87]),
        np.array([52377.9767, 52377.9767]),
    )
    more = ArmTotals.of(
        np.array([3461.0, 3461.0]),
        np.array([2422.7, 2422.7]),
        np.array([134698.29, 134698.29]),
    )
    c = Comparisons.of(
        family=[0, 0], metric=["revenue", "latency"], arm=["t", "t"], role=["goal", "guardrail"],
        kind=["mean", "mean"], control=both, treatment=more, lower_is_better=[False, True],
    )  # fmt: skip
    higher, lower = analyze(c, Settings(method="bayesian")).rows()
    assert (higher["direction"], lower["direction"]) == ("higher", "lower")
    assert higher["effect"] == lower["effect"] > 0
    assert lower["chance_to_win"] == pytest.approx(1 - higher["chance_to_win"])
    assert higher["chance_to_win"] > 0.9
    assert (lower["risk_control"], lower["risk_treatment"]) == (
        higher["risk_treatment"],
        higher["risk_control"],
    )
