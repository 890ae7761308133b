"""The effect of a treatment against its control, with its variance: what every test needs.

Absolute effect: treatment mean minus control mean. Relative effect: that
difference divided by the control's mean, its variance by the delta method
(arms independent). CUPED subtracts theta x the pre-period covariate's mean,
theta pooled over both arms. Definitions: docs/experiments.md#effect.

>>> control = ArmTotals.of(n=3407, sum=1396.87, sum_squares=52377.9767)
>>> treatment = ArmTotals.of(n=3461, sum=2422.7, sum_squares=134698.29)
>>> e = effect(control, treatment, "mean", relative=False)
>>> round(float(e.estimate[0]), 5), round(float(e.se[0]), 5)
(0.29, 0.12478)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from productops.errors import UsageError
from productops.experiments.flags import (
    CUPED_SKIPPED,
    DEAD_END,
    EMPTY_ARM,
    ZERO_BASELINE,
    ZERO_VARIANCE,
    Flags,
)
from productops.experiments.totals import (
    KINDS,
    ArmTotals,
    Floats,
    Kind,
    covariance,
    moments,
    sample_variance,
)

__all__ = ["Effect", "effect"]


@dataclass(frozen=True)
class Effect:
    """Point estimates of many comparisons and what the tests need about them.

    `estimate` is absolute (treatment - control) or relative (divided by the
    control's mean) as `relative` says; `variance` is the estimate's variance;
    `dof` the Welch-Satterthwaite degrees of freedom; `baseline` the control's
    unadjusted mean; `theta` the CUPED coefficient (0 without CUPED); `flags`
    warning bits (`productops.experiments.flags`). Dead ends carry estimate 0
    and variance 0.
    """

    estimate: Floats
    variance: Floats
    dof: Floats
    baseline: Floats
    treatment_mean: Floats
    n_control: Floats
    n_treatment: Floats
    theta: Floats
    flags: Flags
    relative: bool

    @property
    def se(self) -> Floats:
        """Standard error of the estimate."""
        return np.sqrt(self.variance)

    @property
    def dead(self) -> npt.NDArray[np.bool_]:
        """Comparisons without a statistical result (a neutral one is shown)."""
        dead: npt.NDArray[np.bool_] = (self.flags & DEAD_END) != 0
        return dead


def effect(
    control: ArmTotals,
    treatment: ArmTotals,
    kind: Kind | Sequence[str] | npt.NDArray[np.str_],
    *,
    relative: bool = True,
    cuped: bool = False,
) -> Effect:
    """The effect of `treatment` against `control` for every comparison.

    `kind` is one of `mean`, `proportion`, `ratio`, or an array of them (one per
    comparison). With `cuped`, comparisons whose totals hold a covariate are
    regression-adjusted; ratio metrics are never.
    """
    if len(control) != len(treatment):
        raise UsageError(
            f"control and treatment totals differ in length ({len(control)} != {len(treatment)})"
        )
    if isinstance(kind, str):
        return _effect(control, treatment, _kind(kind), relative, cuped)
    kinds = np.asarray(kind, dtype=str)
    if kinds.shape != (len(control),):
        raise UsageError(f"one kind per comparison expected, got {kinds.shape}")
    parts = [(_kind(str(k)), np.flatnonzero(kinds == k)) for k in np.unique(kinds)]
    if len(parts) == 1:
        return _effect(control, treatment, parts[0][0], relative, cuped)
    size = len(control)
    out = {
        name: np.zeros(size)
        for name in (
            "estimate",
            "variance",
            "dof",
            "baseline",
            "treatment_mean",
            "n_control",
            "n_treatment",
            "theta",
        )
    }
    flags = np.zeros(size, dtype=np.int64)
    for k, index in parts:
        part = _effect(control.take(index), treatment.take(index), k, relative, cuped)
        for name, values in out.items():
            values[index] = getattr(part, name)
        flags[index] = part.flags
    return Effect(**out, flags=flags, relative=relative)


def _kind(text: str) -> Kind:
    for known in KINDS:
        if text == known:
            return known
    raise UsageError(f"metric kind {text!r}: use one of {', '.join(KINDS)}")


def _effect(a: ArmTotals, b: ArmTotals, kind: Kind, relative: bool, cuped: bool) -> Effect:
    ma, mb = moments(a, kind), moments(b, kind)
    ya, yb = ma.mean, mb.mean  # unadjusted means
    va, vb = ma.variance, mb.variance  # unadjusted per-unit variances
    na, nb = a.n, b.n
    size = len(na)
    theta = np.zeros(size)
    cov_a = cov_b = var_xa = var_xb = mean_xa = mean_xb = np.zeros(size)
    flags = np.zeros(size, dtype=np.int64)
    if cuped and kind != "ratio":
        theta, flags, covs = _cuped(a, b, kind)
        (mean_xa, var_xa, cov_a), (mean_xb, var_xb, cov_b) = covs
    # Adjusted per-unit variances (equal to the unadjusted ones when theta is 0).
    va_adj = np.maximum(va + theta**2 * var_xa - 2 * theta * cov_a, 0.0)
    vb_adj = np.maximum(vb + theta**2 * var_xb - 2 * theta * cov_b, 0.0)
    diff = (yb - theta * mean_xb) - (ya - theta * mean_xa)
    with np.errstate(divide="ignore", invalid="ignore"):
        if relative:
            estimate = diff / ya
            # Delta method for (adjusted difference) / (control's unadjusted mean), as GrowthBook's
            # frequentist_variance_relative_cuped; with theta = 0 the usual
            # var_b / (ya^2 nb) + var_a yb^2 / (ya^4 na).
            v_trt = vb_adj / (nb * ya**2)
            v_ctrl = (va * yb**2 / ya**2 - 2 * theta * cov_a * yb / ya + theta**2 * var_xa) / (
                na * ya**2
            )
            variance = v_trt + v_ctrl
        else:
            estimate = diff
            variance = vb_adj / nb + va_adj / na
        sa, sb = va_adj / na, vb_adj / nb
        dof = (sa + sb) ** 2 / (sa**2 / (na - 1) + sb**2 / (nb - 1))
    empty = (na < 1) | (nb < 1)
    flags |= np.where(empty, EMPTY_ARM, 0)
    flags |= np.where(~empty & ((va_adj <= 0) | (vb_adj <= 0)), ZERO_VARIANCE, 0)
    if relative:
        flags |= np.where(~empty & (ya == 0), ZERO_BASELINE, 0)
    dead = ((flags & DEAD_END) != 0) | ~np.isfinite(variance) | ~(variance > 0)
    flags |= np.where(dead & ((flags & DEAD_END) == 0), ZERO_VARIANCE, 0)
    return Effect(
        estimate=np.where(dead, 0.0, estimate),
        variance=np.where(dead, 0.0, variance),
        dof=np.where(dead | ~np.isfinite(dof), 1.0, dof),
        baseline=ya,
        treatment_mean=yb,
        n_control=na,
        n_treatment=nb,
        theta=np.where(dead, 0.0, theta),
        flags=flags,
        relative=relative,
    )


Moments3 = tuple[Floats, Floats, Floats]


def _cuped(
    a: ArmTotals, b: ArmTotals, kind: Kind
) -> tuple[Floats, Flags, tuple[Moments3, Moments3]]:
    """theta = cov(value, covariate) / var(covariate), pooled over both arms (Deng et al. 2013).

    Returns theta (0 where a comparison has no usable covariate), CUPED_SKIPPED
    where a covariate was given but does not vary, and per arm the covariate's
    mean, variance and covariance with the value.
    """
    have = (
        a.has("covariate_sum")
        & b.has("covariate_sum")
        & a.has("sum_product")
        & b.has("sum_product")
    )
    arms = []
    for arm in (a, b):
        x = np.where(have, _given(arm.covariate_sum, len(arm)), 0.0)
        # Without sums of squares the covariate is taken as 0/1 (its squares are itself).
        xx = np.where(
            arm.has("covariate_sum_squares"), _given(arm.covariate_sum_squares, len(arm)), x
        )
        xy = np.where(have, _given(arm.sum_product, len(arm)), 0.0)
        arms.append((x, np.where(have, xx, 0.0), xy))
    (xa, xxa, xya), (xb, xxb, xyb) = arms
    n = a.n + b.n
    y, yy = a.sum + b.sum, a.sum_squares + b.sum_squares
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(n > 0, y / n, 0.0)
    var_y = p * (1 - p) if kind == "proportion" else sample_variance(n, y, yy)
    var_x = sample_variance(n, xa + xb, xxa + xxb)
    cov_xy = covariance(n, y, xa + xb, xya + xyb)
    usable = have & (var_x > 0) & (var_y > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        theta = np.where(usable, cov_xy / var_x, 0.0)
    flags = np.where(have & ~usable, CUPED_SKIPPED, 0).astype(np.int64)
    per_arm: list[Moments3] = []
    for arm, x, xx, xy in ((a, xa, xxa, xya), (b, xb, xxb, xyb)):
        with np.errstate(divide="ignore", invalid="ignore"):
            mean_x = np.where(arm.n > 0, x / arm.n, 0.0)
        per_arm.append((mean_x, sample_variance(arm.n, x, xx), covariance(arm.n, arm.sum, x, xy)))
    return theta, flags, (per_arm[0], per_arm[1])


def _given(values: Floats | None, size: int) -> Floats:
    """An optional total with 0 in place of missing values."""
    if values is None:
        return np.zeros(size)
    return np.nan_to_num(values, nan=0.0)
