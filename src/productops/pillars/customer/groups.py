"""Theme groups: a second, coarser level over the themes of one language.

Themes are joined bottom-up by Ward's criterion on their items (the pair whose merge adds the
least to the items' squared distances from their group's mean, so the groups' sizes count),
and the tree is cut at its most distinct level: the number of groups whose level gap (as in
`themes.level_gaps`: how much higher the tree must go to join them further than it went to
form them) is largest, when it reaches `level_gap` (the themes' default). Without such a level each
theme is its own group: themes already cut at the data's coarse level are not coarsened
further. No number of groups is given. Definitions: docs/themes.md.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from productops.pillars.customer.embeddings import Matrix
from productops.pillars.customer.themes import OUTLIER, Labels, ThemeSettings, level_gaps

__all__ = ["group_themes"]

Floats = npt.NDArray[np.float64]


def _merges(means: Floats, sizes: Floats) -> list[tuple[int, int, float]]:
    """Ward merges of weighted points, cheapest first (Lance-Williams updates of the costs),
    each with its height (sqrt(2 x cost), SciPy's Ward distance)."""
    count = len(means)
    squared = np.einsum("ij,ij->i", means, means)
    distance = np.maximum(squared[:, None] + squared[None, :] - 2 * means @ means.T, 0.0)
    cost = sizes[:, None] * sizes[None, :] / (sizes[:, None] + sizes[None, :]) * distance
    np.fill_diagonal(cost, np.inf)
    sizes = sizes.copy()
    merges: list[tuple[int, int, float]] = []
    for _ in range(count - 1):
        first, second = np.unravel_index(int(np.argmin(cost)), cost.shape)
        a, b = int(min(first, second)), int(max(first, second))
        merges.append((a, b, float(np.sqrt(2 * cost[a, b]))))
        joined = sizes[a] + sizes[b] + sizes
        cost[a] = (sizes[a] + sizes) * cost[a] + (sizes[b] + sizes) * cost[b] - sizes * cost[a, b]
        cost[a] /= joined
        cost[:, a] = cost[a]
        cost[b], cost[:, b] = np.inf, np.inf
        cost[a, a] = np.inf
        sizes[a] += sizes[b]
    return merges


def group_themes(
    vectors: Matrix, labels: Labels, count: int, level_gap: float = ThemeSettings.level_gap
) -> Labels:
    """The group of each theme 0..count-1 (OUTLIER for a theme without items), groups numbered
    by their items, largest first. `labels`: each item's theme (OUTLIER for none)."""
    from scipy import sparse

    inside = labels >= 0
    sizes = np.bincount(labels[inside], minlength=count).astype(np.float64)
    used = np.flatnonzero(sizes > 0)
    out = np.full(count, OUTLIER, dtype=np.int64)
    if not len(used):
        return out
    index = np.full(count, OUTLIER, dtype=np.int64)
    index[used] = np.arange(len(used))
    items = index[labels[inside]]
    ones = np.ones(len(items))
    member = sparse.csr_array((ones, (items, np.arange(len(items)))), (len(used), len(items)))
    means = np.asarray(member @ vectors[inside], dtype=np.float64) / sizes[used, None]
    merges = _merges(means, sizes[used])
    gaps = level_gaps(np.array([height for _, _, height in merges]))
    groups = np.arange(len(used))
    best, best_gap = groups.copy(), level_gap
    for done, (a, b, _) in enumerate(merges[:-1], start=1):  # one group for all is no level
        groups[groups == b] = a
        left = len(used) - done  # groups after this merge
        if gaps[left] >= best_gap:
            best, best_gap = groups.copy(), float(gaps[left])
    _, dense = np.unique(best, return_inverse=True)
    weight = np.bincount(dense, weights=sizes[used])
    rank = np.empty(len(weight), dtype=np.int64)
    rank[np.argsort(-weight, kind="stable")] = np.arange(len(weight))
    out[used] = rank[dense]
    return out
