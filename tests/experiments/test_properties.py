"""Invariants of the engine, checked with hypothesis over many inputs and by simulation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from productops.experiments.bayesian import bayesian_test
from productops.experiments.effects import Effect, effect
from productops.experiments.frequentist import sequential_test, welch_test
from productops.experiments.totals import ArmTotals


@st.composite
def arm_totals(draw: st.DrawFn) -> ArmTotals:
    """Totals of a plausible arm: 10+ units, a mean, a positive variance."""
    n = draw(st.integers(10, 1_000_000))
    mean = draw(st.floats(-1e3, 1e3).filter(lambda m: abs(m) > 1e-3))
    variance = draw(st.floats(1e-3, 1e4))
    return ArmTotals.of(n, n * mean, (n - 1) * variance + n * mean**2)


@given(arm_totals(), arm_totals())
def test_swapping_arms_flips_the_sign_of_an_absolute_effect(a: ArmTotals, b: ArmTotals) -> None:
    forward, backward = effect(a, b, "mean", relative=False), effect(b, a, "mean", relative=False)
    assert forward.estimate[0] == pytest.approx(-backward.estimate[0], rel=1e-12, abs=1e-12)
    there, back = welch_test(forward), welch_test(backward)
    assert there.p_value[0] == pytest.approx(back.p_value[0], rel=1e-9, abs=1e-300)
    assert there.ci_low[0] == pytest.approx(-back.ci_high[0], rel=1e-9, abs=1e-12)
    win, lose = bayesian_test(forward), bayesian_test(backward)
    assert win.chance_to_win[0] == pytest.approx(1 - lose.chance_to_win[0], abs=1e-12)
    assert win.risk_control[0] == pytest.approx(lose.risk_treatment[0], rel=1e-9, abs=1e-300)


@given(arm_totals(), arm_totals(), st.booleans())
def test_sequential_intervals_are_wider_than_fixed_horizon_ones(
    a: ArmTotals, b: ArmTotals, relative: bool
) -> None:
    e = effect(a, b, "mean", relative=relative)
    fixed, always_valid = welch_test(e), sequential_test(e)
    assert always_valid.ci_low[0] < fixed.ci_low[0]
    assert always_valid.ci_high[0] > fixed.ci_high[0]


@given(arm_totals(), arm_totals(), st.sampled_from(["welch", "sequential", "bayesian"]))
def test_results_are_finite_and_intervals_hold_the_estimate(
    a: ArmTotals, b: ArmTotals, method: str
) -> None:
    e = effect(a, b, "mean")
    tests: dict[str, Callable[[Effect], Any]] = {
        "welch": welch_test,
        "sequential": sequential_test,
        "bayesian": bayesian_test,
    }
    result = tests[method](e)
    values = np.concatenate([result.effect, result.ci_low, result.ci_high])
    assert np.isfinite(values).all()
    assert result.ci_low[0] <= result.effect[0] <= result.ci_high[0]


def _simulated(
    rng: np.random.Generator, sims: int, n: int, means: tuple[float, float], sd: float
) -> tuple[ArmTotals, ArmTotals]:
    arms = []
    for mean in means:
        values = rng.normal(mean, sd, (sims, n))
        arms.append(ArmTotals.of(np.full(sims, n), values.sum(1), (values**2).sum(1)))
    return arms[0], arms[1]


@settings(max_examples=12, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(20, 300),
    control_mean=st.floats(5, 50),
    lift=st.floats(-0.2, 0.2),
    sd=st.floats(0.5, 10),
)
def test_intervals_cover_the_true_effect_at_the_stated_rate(
    seed: int, n: int, control_mean: float, lift: float, sd: float
) -> None:
    """2,000 simulated experiments: 95% intervals cover the truth 95% of the time (+-2.5 points)."""
    rng = np.random.default_rng(seed)
    sims = 2000
    a, b = _simulated(rng, sims, n, (control_mean, control_mean * (1 + lift)), sd)
    truth_absolute, truth_relative = control_mean * lift, lift
    absolute = welch_test(effect(a, b, "mean", relative=False))
    covered = (absolute.ci_low <= truth_absolute) & (truth_absolute <= absolute.ci_high)
    assert abs(covered.mean() - 0.95) < 0.025
    relative = welch_test(effect(a, b, "mean"))
    covered = (relative.ci_low <= truth_relative) & (truth_relative <= relative.ci_high)
    assert abs(covered.mean() - 0.95) < 0.025
    flat = bayesian_test(effect(a, b, "mean", relative=False))
    covered = (flat.ci_low <= truth_absolute) & (truth_absolute <= flat.ci_high)
    assert abs(covered.mean() - 0.95) < 0.03  # normal, not t: a little under 95% at small n
    sequential = sequential_test(effect(a, b, "mean", relative=False))
    covered = (sequential.ci_low <= truth_absolute) & (truth_absolute <= sequential.ci_high)
    assert covered.mean() >= 0.95


def test_sequential_coverage_holds_at_every_look() -> None:
    """Peeking after every 100 units: the confidence sequence holds the truth at all looks >= 95%."""
    rng = np.random.default_rng(5)
    sims, looks, step = 1000, 20, 100
    values = rng.normal(0, 1, (2, sims, looks * step))
    ok = np.ones(sims, dtype=bool)
    fixed_ok = np.ones(sims, dtype=bool)
    for k in range(1, looks + 1):
        seen = values[:, :, : k * step]
        a, b = (ArmTotals.of(np.full(sims, k * step), s.sum(1), (s**2).sum(1)) for s in seen)
        e = effect(a, b, "mean", relative=False)
        seq, fixed = sequential_test(e), welch_test(e)
        ok &= (seq.ci_low <= 0) & (seq.ci_high >= 0)
        fixed_ok &= (fixed.ci_low <= 0) & (fixed.ci_high >= 0)
    assert ok.mean() >= 0.95
    assert fixed_ok.mean() < 0.85  # why looking early at fixed-horizon intervals is unsafe
