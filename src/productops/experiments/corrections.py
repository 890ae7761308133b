"""Multiple testing: Holm (family-wise error) and Benjamini-Hochberg (false discovery rate).

Applied across an experiment's goal metrics (and treatment arms); guardrails
are reported on their own, unadjusted. Vectorised over many families at once
with a family label per p-value; the results equal statsmodels'
`multipletests(method="holm" | "fdr_bh")`. Definitions: docs/experiments.md#corrections.

>>> adjust_p_values([0.01, 0.04, 0.03, 0.005], "holm").round(4).tolist()
[0.03, 0.06, 0.06, 0.02]
"""

from __future__ import annotations

from typing import Literal, get_args

import numpy as np
import numpy.typing as npt
import pandas as pd

from productops.errors import UsageError
from productops.experiments.totals import Floats

__all__ = ["CORRECTIONS", "Correction", "adjust_p_values"]

Correction = Literal["holm", "bh", "none"]
CORRECTIONS: tuple[Correction, ...] = get_args(Correction)


def adjust_p_values(
    p_values: npt.ArrayLike, method: str, family: npt.ArrayLike | None = None
) -> Floats:
    """Adjusted p-values, each family (same `family` label; None: one family) on its own.

    Holm: sorted p_(i) of m, max over j <= i of min(1, (m - j + 1) p_(j)).
    Benjamini-Hochberg: min over j >= i of min(1, m p_(j) / j).
    """
    p = np.asarray(p_values, dtype=np.float64)
    if p.ndim != 1:
        raise UsageError("p-values to adjust must be a flat list")
    if ((p < 0) | (p > 1) | ~np.isfinite(p)).any():
        raise UsageError("p-values to adjust must lie between 0 and 1")
    if method == "none" or p.size == 0:
        return p.copy()
    if method not in CORRECTIONS:
        raise UsageError(f"correction {method!r}: use one of {', '.join(CORRECTIONS)}")
    labels = np.zeros(p.size, dtype=np.int64) if family is None else np.asarray(family)
    if labels.shape != p.shape:
        raise UsageError("one family label per p-value expected")
    _, group = np.unique(labels, return_inverse=True)
    order = np.lexsort((p, group))  # by family, then p ascending
    g, ps = group[order], p[order]
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    sizes = np.diff(np.r_[starts, g.size])
    m = np.repeat(sizes, sizes).astype(np.float64)
    rank = np.arange(g.size) - np.repeat(starts, sizes) + 1.0  # 1-based within the family
    # Running max (Holm) or min from the end (BH) within each family, exactly (pandas' grouped scans).
    if method == "holm":
        raw = pd.Series(np.minimum(1.0, (m - rank + 1) * ps))
        adjusted = raw.groupby(g).cummax().to_numpy()
    else:
        raw = pd.Series(np.minimum(1.0, m * ps / rank)[::-1])
        adjusted = raw.groupby(g[::-1]).cummin().to_numpy()[::-1]
    out = np.empty_like(p)
    out[order] = np.clip(adjusted, 0.0, 1.0)
    return out
