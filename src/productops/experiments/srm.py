"""The sample-ratio-mismatch check: do the units per arm fit the planned split?

Pearson's chi-square goodness of fit of the observed units per arm against
the planned shares, with (arms - 1) degrees of freedom. A p-value below the
threshold (0.001, as GrowthBook) marks the experiment's results untrustworthy.
Definitions: docs/experiments.md#srm.

>>> chi2, p = srm_test([[9463, 7681]], [0.5, 0.5])
>>> round(float(chi2[0]), 2)
185.23
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy import stats

from productops.errors import UsageError
from productops.experiments.totals import Floats

__all__ = ["SRM_THRESHOLD", "srm_test"]

SRM_THRESHOLD = 0.001


def srm_test(observed: npt.ArrayLike, weights: npt.ArrayLike) -> tuple[Floats, Floats]:
    """Chi-square statistic and p-value per row of `observed` (experiments x arms).

    `weights` are the planned shares, one row per experiment or one row for
    all (they need not sum to 1; they are normalised). Arms with weight 0 are
    left out (a padding for experiments with fewer arms). An experiment with
    no units, or with a single arm, gets chi2 0 and p 1.
    """
    units = np.atleast_2d(np.asarray(observed, dtype=np.float64))
    shares = np.broadcast_to(np.atleast_2d(np.asarray(weights, dtype=np.float64)), units.shape)
    if (units < 0).any() or not np.isfinite(units).all():
        raise UsageError("sample-ratio check: units per arm must be counts of 0 or more")
    if (shares < 0).any() or not np.isfinite(shares).all():
        raise UsageError("sample-ratio check: planned shares must be 0 or more")
    used = shares > 0
    total = units.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = shares / shares.sum(axis=1, keepdims=True) * total
        terms = np.where(used & (expected > 0), (units - expected) ** 2 / expected, 0.0)
    chi2 = terms.sum(axis=1)
    dof = used.sum(axis=1) - 1
    valid = (dof > 0) & (total[:, 0] > 0)
    p = np.asarray(stats.chi2.sf(chi2, np.maximum(dof, 1)), dtype=np.float64)
    return np.where(valid, chi2, 0.0), np.where(valid, p, 1.0)
