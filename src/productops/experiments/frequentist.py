"""Frequentist tests: Welch's t-test (fixed horizon) and an always-valid confidence sequence.

Both take an `Effect` (many comparisons) and return arrays; dead ends get the
neutral result (interval [0, 0], p-value 1). Tails use survival functions, so
tiny p-values keep their precision. Definitions: docs/experiments.md#frequentist.

>>> from productops.experiments.totals import ArmTotals
>>> from productops.experiments.effects import effect
>>> e = effect(ArmTotals.of(10, 24, 80), ArmTotals.of(150, 330, 1010), "mean", relative=False)
>>> round(float(welch_test(e).p_value[0]), 5)
0.70402
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from productops.errors import UsageError
from productops.experiments.effects import Effect
from productops.experiments.flags import Flags
from productops.experiments.totals import Floats

__all__ = ["DEFAULT_TUNING_N", "FrequentistResult", "sequential_test", "welch_test"]

DEFAULT_TUNING_N = 5000.0


@dataclass(frozen=True)
class FrequentistResult:
    """Per comparison: effect, standard error, two-sided interval at 1 - alpha, p-value, flags."""

    effect: Floats
    se: Floats
    ci_low: Floats
    ci_high: Floats
    p_value: Floats
    flags: Flags


def check_alpha(alpha: float) -> None:
    """Refuse a significance level outside (0, 1)."""
    if not 0 < alpha < 1:
        raise UsageError(f"alpha {alpha!r}: the significance level must be between 0 and 1")


def welch_test(effect: Effect, alpha: float = 0.05) -> FrequentistResult:
    """Two-sided Welch t-test of `effect` against 0 with Welch-Satterthwaite degrees of freedom.

    p = 2 t_sf(|estimate| / se, dof); interval estimate +- t_isf(alpha / 2, dof) se.
    """
    check_alpha(alpha)
    se = effect.se
    dead = effect.dead
    safe_se = np.where(dead, 1.0, se)
    p = 2 * stats.t.sf(np.abs(effect.estimate) / safe_se, effect.dof)
    half = np.asarray(stats.t.isf(alpha / 2, effect.dof), dtype=np.float64) * se
    return _result(effect, se, half, np.minimum(np.asarray(p, dtype=np.float64), 1.0))


def sequential_test(
    effect: Effect, alpha: float = 0.05, tuning_n: float = DEFAULT_TUNING_N
) -> FrequentistResult:
    """An asymptotic confidence sequence (Waudby-Smith et al. 2023, eq. 9), valid at every look.

    With N the units in both arms, s^2 = N var(estimate) and
    rho^2 = (-2 ln alpha + ln(-2 ln alpha + 1)) / tuning_n (their eq. 161, as
    GrowthBook's `sequential_tuning_parameter`), the half-width is
    s sqrt(2 (N rho^2 + 1) ln(sqrt(N rho^2 + 1) / alpha) / (N rho)^2) and the
    always-valid p-value min(1, 1 / E) with the e-value
    E = exp(rho^2 N estimate^2 / (2 var (N rho^2 + 1))) / sqrt(N rho^2 + 1).
    """
    check_alpha(alpha)
    if not tuning_n > 0:
        raise UsageError(f"sequential tuning n {tuning_n!r}: it must be a positive number of units")
    n = effect.n_control + effect.n_treatment
    rho2 = (-2 * np.log(alpha) + np.log(-2 * np.log(alpha) + 1)) / tuning_n
    grown = n * rho2 + 1
    se = effect.se
    with np.errstate(divide="ignore", invalid="ignore"):
        half = se * np.sqrt(n) * np.sqrt(2 * grown * np.log(np.sqrt(grown) / alpha) / (n**2 * rho2))
        z2 = effect.estimate**2 / effect.variance
    log_e = rho2 * n * z2 / (2 * grown) - 0.5 * np.log(grown)
    p = np.exp(-np.maximum(np.where(effect.dead, 0.0, log_e), 0.0))
    return _result(effect, se, np.where(effect.dead, 0.0, half), p)


def _result(effect: Effect, se: Floats, half: Floats, p: Floats) -> FrequentistResult:
    dead = effect.dead
    est = effect.estimate
    return FrequentistResult(
        effect=est,
        se=np.where(dead, 0.0, se),
        ci_low=np.where(dead, 0.0, est - half),
        ci_high=np.where(dead, 0.0, est + half),
        p_value=np.where(dead, 1.0, p),
        flags=effect.flags,
    )
