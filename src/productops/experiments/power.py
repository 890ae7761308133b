"""Planning: sample size, minimum detectable effect, power, and days remaining.

For a two-sided test at level alpha comparing a treatment with the control,
with per-unit variance s^2 and shares w_c, w_t of N units, the difference has
standard error s sqrt(1 / (N w_c) + 1 / (N w_t)); an effect d is found with
power 1 - beta when d / se = z_(1 - alpha/2) + z_(1 - beta). For a proportion
p, s^2 = p (1 - p). Definitions: docs/experiments.md#power.

>>> int(sample_size(variance=100, mde=0.3, power=0.85)[0])
39904
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy import stats

from productops.errors import UsageError
from productops.experiments.totals import Floats

__all__ = [
    "achieved_power",
    "days_remaining",
    "minimum_detectable_effect",
    "required_units",
    "sample_size",
]


def _z(alpha: float, power: float) -> float:
    if not 0 < alpha < 1:
        raise UsageError(f"alpha {alpha!r}: the significance level must be between 0 and 1")
    if not 0 < power < 1:
        raise UsageError(f"power {power!r}: it must be between 0 and 1, e.g. 0.8")
    return float(stats.norm.isf(alpha / 2) + stats.norm.isf(1 - power))


def _split(arms: int, shares: npt.ArrayLike | None) -> float:
    """1 / w_c + 1 / w_t for the smallest treatment arm (equal split of `arms` by default)."""
    if shares is None:
        return 2.0 * _arms(arms)
    w = np.asarray(shares, dtype=np.float64)
    if w.ndim != 1 or w.size < 2 or (w <= 0).any():
        raise UsageError("shares: give at least two positive shares, the control's first")
    w = w / w.sum()
    return float(1 / w[0] + 1 / w[1:].min())


def _arms(arms: int) -> int:
    if arms < 2:
        raise UsageError(f"arms {arms!r}: an experiment needs at least 2 arms")
    return arms


def _positive(name: str, values: Floats) -> None:
    if not (values > 0).all() or not np.isfinite(values).all():
        raise UsageError(f"{name}: it must be greater than 0")


def sample_size(
    variance: npt.ArrayLike,
    mde: npt.ArrayLike,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    arms: int = 2,
    shares: npt.ArrayLike | None = None,
) -> npt.NDArray[np.int64]:
    """Total units (all arms) to find an absolute effect `mde` with `power`.

    With an equal split each arm gets ceil(z^2 s^2 2 / mde^2) units, and the
    total is that times `arms`; with `shares` (control first) the total is
    ceil(z^2 s^2 (1/w_c + 1/w_t) / mde^2).
    """
    var, d = np.atleast_1d(np.asarray(variance, float)), np.atleast_1d(np.asarray(mde, float))
    _positive("variance", var)
    _positive("minimum detectable effect", np.abs(d))
    z = _z(alpha, power)
    if shares is None:
        per_arm = np.ceil(z**2 * var * 2 / d**2)
        total: npt.NDArray[np.int64] = per_arm.astype(np.int64) * _arms(arms)
    else:
        total = np.ceil(z**2 * var * _split(arms, shares) / d**2).astype(np.int64)
    return total


def minimum_detectable_effect(
    variance: npt.ArrayLike,
    total_n: npt.ArrayLike,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    arms: int = 2,
    shares: npt.ArrayLike | None = None,
) -> Floats:
    """The smallest absolute effect found with `power` among `total_n` units."""
    var, n = np.atleast_1d(np.asarray(variance, float)), np.atleast_1d(np.asarray(total_n, float))
    _positive("variance", var)
    _positive("units", n)
    mde: Floats = _z(alpha, power) * np.sqrt(var * _split(arms, shares) / n)
    return mde


def achieved_power(
    variance: npt.ArrayLike,
    total_n: npt.ArrayLike,
    mde: npt.ArrayLike,
    *,
    alpha: float = 0.05,
    arms: int = 2,
    shares: npt.ArrayLike | None = None,
) -> Floats:
    """The chance to find an absolute effect `mde` among `total_n` units (one tail, as planned)."""
    var, n = np.atleast_1d(np.asarray(variance, float)), np.atleast_1d(np.asarray(total_n, float))
    _positive("variance", var)
    _positive("units", n)
    se = np.sqrt(var * _split(arms, shares) / n)
    return power_at(np.abs(np.asarray(mde, float)) / se, alpha)


def power_at(signal: npt.ArrayLike, alpha: float) -> Floats:
    """Power of a two-sided test at level `alpha` when effect / se is `signal` (one tail)."""
    z_alpha = float(stats.norm.isf(alpha / 2))
    return np.asarray(stats.norm.sf(z_alpha - np.asarray(signal, float)), dtype=np.float64)


def required_units(
    se: npt.ArrayLike,
    units: npt.ArrayLike,
    target: npt.ArrayLike,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
) -> Floats:
    """Total units at which an experiment now at `units` with standard error `se` finds `target`.

    The standard error shrinks as 1 / sqrt(units): N = units (z se / target)^2.
    Infinite where `se` or `target` is 0.
    """
    s, n = np.asarray(se, float), np.asarray(units, float)
    t = np.abs(np.asarray(target, float))
    z = _z(alpha, power)
    with np.errstate(divide="ignore", invalid="ignore"):
        needed = n * (z * s / t) ** 2
    return np.where((s > 0) & (t > 0), needed, np.inf)


def days_remaining(
    units: npt.ArrayLike, needed: npt.ArrayLike, days_running: npt.ArrayLike
) -> Floats:
    """Days until `needed` units at the accrual so far (`units` in `days_running` days).

    0 when enough units are in; infinite when nothing has accrued.
    """
    n, want, days = (np.asarray(x, float) for x in (units, needed, days_running))
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = n / days
        left = (want - n) / rate
    return np.where(want <= n, 0.0, np.where((rate > 0) & np.isfinite(rate), left, np.inf))
