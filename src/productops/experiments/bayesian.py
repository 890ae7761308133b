"""Bayesian analysis of an effect: a normal posterior from a flat or Gaussian prior.

The likelihood of the effect is normal (its estimate and variance, as in the
frequentist tests); a Gaussian prior (on the relative effect) is combined by
precision weighting. Reported: the posterior mean, its sd, a credible interval,
the chance to win P(effect > 0) and the risk (expected loss) of choosing either
arm. Definitions: docs/experiments.md#bayesian.

>>> from productops.experiments.totals import ArmTotals
>>> from productops.experiments.effects import effect
>>> e = effect(ArmTotals.of(10, 100, 1002.25), ArmTotals.of(10, 105, 1111.5), "mean")
>>> round(float(bayesian_test(e).chance_to_win[0]), 5)
0.91923
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from productops.errors import UsageError
from productops.experiments.effects import Effect
from productops.experiments.flags import Flags
from productops.experiments.frequentist import check_alpha
from productops.experiments.totals import Floats

__all__ = ["BayesianResult", "GaussianPrior", "bayesian_test"]


@dataclass(frozen=True)
class GaussianPrior:
    """A normal prior on the relative effect: `mean`, `variance` (> 0); flat unless `proper`."""

    mean: float = 0.0
    variance: float = 1.0
    proper: bool = True

    def __post_init__(self) -> None:
        if self.proper and not self.variance > 0:
            raise UsageError(f"prior variance {self.variance!r}: it must be greater than 0")


@dataclass(frozen=True)
class BayesianResult:
    """Per comparison: posterior mean and sd, credible interval, chance to win, risks, flags.

    `risk_control` is the expected loss of keeping the control, E[max(effect, 0)];
    `risk_treatment` that of shipping the treatment, E[max(-effect, 0)].
    """

    effect: Floats
    sd: Floats
    ci_low: Floats
    ci_high: Floats
    chance_to_win: Floats
    risk_control: Floats
    risk_treatment: Floats
    flags: Flags


def bayesian_test(
    effect: Effect, prior: GaussianPrior | None = None, alpha: float = 0.05
) -> BayesianResult:
    """The posterior of `effect` under `prior` (None: flat), with a (1 - alpha) credible interval.

    For an absolute effect the prior is scaled by the control's mean, so one
    prior serves both. Posterior precision 1/var + 1/prior_var; posterior mean
    (estimate/var + prior_mean/prior_var) / precision.
    """
    check_alpha(alpha)
    dead = effect.dead
    var = np.where(dead, 1.0, effect.variance)
    if prior is None or not prior.proper:
        mean, post_var = effect.estimate, var
    else:
        scale = np.ones_like(var) if effect.relative else effect.baseline
        prior_mean = prior.mean * np.abs(scale)
        prior_var = np.where(scale != 0, prior.variance * scale**2, np.inf)
        precision = 1 / var + 1 / prior_var
        mean = (effect.estimate / var + prior_mean / prior_var) / precision
        post_var = 1 / precision
    sd = np.sqrt(post_var)
    z = mean / sd
    win = np.asarray(stats.norm.sf(-z), dtype=np.float64)
    lose = np.asarray(stats.norm.sf(z), dtype=np.float64)
    density = np.asarray(stats.norm.pdf(z), dtype=np.float64)
    # E[max(X, 0)] and E[max(-X, 0)] of X ~ N(mean, sd^2).
    risk_control = mean * win + sd * density
    risk_treatment = sd * density - mean * lose
    half = float(stats.norm.isf(alpha / 2)) * sd
    return BayesianResult(
        effect=np.where(dead, 0.0, mean),
        sd=np.where(dead, 0.0, sd),
        ci_low=np.where(dead, 0.0, mean - half),
        ci_high=np.where(dead, 0.0, mean + half),
        chance_to_win=np.where(dead, 0.5, win),
        risk_control=np.where(dead, 0.0, np.maximum(risk_control, 0.0)),
        risk_treatment=np.where(dead, 0.0, np.maximum(risk_treatment, 0.0)),
        flags=effect.flags,
    )
