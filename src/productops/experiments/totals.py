"""Per-arm sufficient statistics, and the per-unit mean and variance they imply.

The database aggregates (units, sum, sum of squares, ...); Python does the
maths, on numpy arrays that hold many experiments x metrics at once: element
`i` of every array belongs to the same arm of the same comparison.
Definitions: docs/experiments.md#inputs.

>>> arm = ArmTotals.of(n=[10], sum=[100.0], sum_squares=[1002.25])
>>> moments(arm, "mean").variance
array([0.25])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeAlias, get_args

import numpy as np
import numpy.typing as npt

from productops.errors import UsageError

__all__ = [
    "KINDS",
    "ArmMoments",
    "ArmTotals",
    "Floats",
    "Kind",
    "covariance",
    "moments",
    "sample_variance",
]

Floats: TypeAlias = npt.NDArray[np.float64]
Kind = Literal["mean", "proportion", "ratio"]
KINDS: tuple[Kind, ...] = get_args(Kind)

_OPTIONAL = (
    "covariate_sum",
    "covariate_sum_squares",
    "sum_product",
    "denominator_sum",
    "denominator_sum_squares",
    "denominator_sum_product",
)


def _floats(value: object) -> Floats:
    return np.atleast_1d(np.asarray(value, dtype=np.float64))


@dataclass(frozen=True)
class ArmTotals:
    """Sums over the units of one arm, for many comparisons at once.

    `n` units; `sum` and `sum_squares` of the metric's value; for CUPED the
    pre-period covariate's `covariate_sum`, `covariate_sum_squares` and
    `sum_product` (value x covariate); for a ratio metric the denominator's
    `denominator_sum`, `denominator_sum_squares` and `denominator_sum_product`
    (value x denominator). An optional array may hold NaN where a comparison
    does not have it. Build with `ArmTotals.of`, which checks the values.
    """

    n: Floats
    sum: Floats
    sum_squares: Floats
    covariate_sum: Floats | None = None
    covariate_sum_squares: Floats | None = None
    sum_product: Floats | None = None
    denominator_sum: Floats | None = None
    denominator_sum_squares: Floats | None = None
    denominator_sum_product: Floats | None = None

    @classmethod
    def of(
        cls,
        n: object,
        sum: object,
        sum_squares: object | None = None,
        *,
        where: str = "arm totals",
        **optional: object | None,
    ) -> ArmTotals:
        """Arrays (or scalars) of totals as float arrays of one shape, checked.

        `sum_squares` defaults to `sum` (values that are 0 or 1). Raises
        `UsageError` naming `where` and the first bad element for a negative or
        missing unit count, a missing sum, or a negative sum of squares.

        >>> ArmTotals.of(n=3000, sum=1396).sum_squares
        array([1396.])
        """
        unknown = set(optional) - set(_OPTIONAL)
        if unknown:
            raise UsageError(f"{where}: unknown totals {sorted(unknown)}; known: {_OPTIONAL}")
        count, total = _floats(n), _floats(sum)
        squares = total if sum_squares is None else _floats(sum_squares)
        extra = {k: None if v is None else _floats(v) for k, v in optional.items()}
        shapes = {a.shape for a in (count, total, squares, *extra.values()) if a is not None}
        if len(shapes) > 1:
            raise UsageError(f"{where}: totals of different lengths {sorted(shapes)}")
        _check(where, "n (units)", count, ~np.isfinite(count) | (count < 0), "a count of 0 or more")
        _check(where, "n (units)", count, count != np.round(count), "a whole number of units")
        _check(where, "sum", total, ~np.isfinite(total), "a number")
        _check(where, "sum_squares", squares, ~(squares >= 0), "a number of 0 or more")
        for name in ("covariate_sum_squares", "denominator_sum_squares"):
            values = extra.get(name)
            if values is not None:
                _check(where, name, values, values < 0, "0 or more (or missing)")
        return cls(count, total, squares, **extra)

    def __len__(self) -> int:
        return len(self.n)

    def take(self, index: npt.NDArray[np.intp]) -> ArmTotals:
        """The totals of the comparisons at `index`."""
        optional: dict[str, Floats | None] = {
            name: None if getattr(self, name) is None else getattr(self, name)[index]
            for name in _OPTIONAL
        }
        return ArmTotals(self.n[index], self.sum[index], self.sum_squares[index], **optional)

    def has(self, name: str) -> npt.NDArray[np.bool_]:
        """Where the optional total `name` is present (not missing, not NaN)."""
        values: Floats | None = getattr(self, name)
        if values is None:
            return np.zeros(len(self), dtype=bool)
        return np.isfinite(values)


def _check(where: str, name: str, values: Floats, bad: npt.NDArray[np.bool_], want: str) -> None:
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        at = f" at element {i}" if values.size > 1 else ""
        raise UsageError(
            f"{where}: {name} is {float(values[i])!r}{at}; it must be {want} (fix the input totals)"
        )


@dataclass(frozen=True)
class ArmMoments:
    """Per arm: units, the mean an effect compares, and the per-unit variance around it."""

    n: Floats
    mean: Floats
    variance: Floats


def sample_variance(n: Floats, total: Floats, squares: Floats) -> Floats:
    """Unbiased variance from totals: (sum_squares - sum^2 / n) / (n - 1); 0 when n < 2."""
    with np.errstate(divide="ignore", invalid="ignore"):
        v = (squares - total * total / n) / (n - 1)
    return np.where(n > 1, np.maximum(v, 0.0), 0.0)


def covariance(n: Floats, sum_x: Floats, sum_y: Floats, sum_xy: Floats) -> Floats:
    """Unbiased covariance from totals: (sum_xy - sum_x sum_y / n) / (n - 1); 0 when n < 2."""
    with np.errstate(divide="ignore", invalid="ignore"):
        c = (sum_xy - sum_x * sum_y / n) / (n - 1)
    return np.where(n > 1, c, 0.0)


def _mean(n: Floats, total: Floats) -> Floats:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(n > 0, total / n, 0.0)


def moments(arm: ArmTotals, kind: Kind) -> ArmMoments:
    """The mean and per-unit variance of `arm` for a metric of `kind`.

    - mean: sum / n and the sample variance;
    - proportion: p = sum / n and p (1 - p);
    - ratio: sum / denominator_sum, and its per-unit variance by the delta
      method, var(m)/d^2 - 2 cov(m, d) m/d^3 + m^2 var(d)/d^4 with m and d the
      per-unit means of value and denominator.
    """
    n = arm.n
    if kind == "proportion":
        p = _mean(n, arm.sum)
        return ArmMoments(n, p, np.maximum(p * (1 - p), 0.0))
    if kind == "mean":
        return ArmMoments(n, _mean(n, arm.sum), sample_variance(n, arm.sum, arm.sum_squares))
    if arm.denominator_sum is None:
        raise UsageError("a ratio metric needs denominator_sum (and its squares and products)")
    d_sum = arm.denominator_sum
    d_squares = arm.denominator_sum_squares
    products = arm.denominator_sum_product
    if d_squares is None or products is None:
        raise UsageError(
            "a ratio metric needs denominator_sum_squares and denominator_sum_product too"
        )
    m, d = _mean(n, arm.sum), _mean(n, d_sum)
    var_m = sample_variance(n, arm.sum, arm.sum_squares)
    var_d = sample_variance(n, d_sum, d_squares)
    cov = covariance(n, arm.sum, d_sum, products)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(d_sum != 0, arm.sum / d_sum, 0.0)
        var = var_m / d**2 - 2 * cov * m / d**3 + m**2 * var_d / d**4
    ok = (d != 0) & (n > 1) & np.isfinite(var)
    return ArmMoments(n, ratio, np.where(ok, np.maximum(var, 0.0), 0.0))
