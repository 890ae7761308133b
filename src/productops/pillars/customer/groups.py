"""Theme groups: a second, coarser level over the themes of one language.

Themes are joined bottom-up by Ward's criterion on their items (the pair whose merge adds the
least to the items' squared distances from their group's mean, so the groups' sizes count),
and the tree is cut where the themes' centroids are best separated: the number of groups whose
silhouette over the theme centroids (cosine distance) is highest. Each theme alone (silhouette
0) is a candidate too, so themes with no coarser structure stay one per group. No number of
groups is given. Definitions: docs/themes.md.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from productops.pillars.customer.embeddings import Matrix, normalise
from productops.pillars.customer.themes import OUTLIER, Labels

__all__ = ["group_themes", "silhouette"]

Floats = npt.NDArray[np.float64]


def _merges(means: Floats, sizes: Floats) -> list[tuple[int, int]]:
    """Ward merges of weighted points, cheapest first (Lance-Williams updates of the costs)."""
    count = len(means)
    squared = np.einsum("ij,ij->i", means, means)
    distance = np.maximum(squared[:, None] + squared[None, :] - 2 * means @ means.T, 0.0)
    cost = sizes[:, None] * sizes[None, :] / (sizes[:, None] + sizes[None, :]) * distance
    np.fill_diagonal(cost, np.inf)
    sizes = sizes.copy()
    merges: list[tuple[int, int]] = []
    for _ in range(count - 1):
        first, second = np.unravel_index(int(np.argmin(cost)), cost.shape)
        a, b = int(min(first, second)), int(max(first, second))
        joined = sizes[a] + sizes[b] + sizes
        cost[a] = (sizes[a] + sizes) * cost[a] + (sizes[b] + sizes) * cost[b] - sizes * cost[a, b]
        cost[a] /= joined
        cost[:, a] = cost[a]
        cost[b], cost[:, b] = np.inf, np.inf
        cost[a, a] = np.inf
        sizes[a] += sizes[b]
        merges.append((a, b))
    return merges


def silhouette(distance: Floats, groups: Labels) -> float:
    """Mean silhouette of the points (rows of a distance matrix) in `groups`; 0 for a point alone
    in its group (as scikit-learn's)."""
    from scipy import sparse

    count = int(groups.max()) + 1
    members = np.bincount(groups, minlength=count).astype(np.float64)
    ones = np.ones(len(groups))
    member = sparse.csr_array((ones, (np.arange(len(groups)), groups)), (len(groups), count))
    totals = np.asarray(member.T @ distance.T).T  # point x group: summed distances
    rows = np.arange(len(groups))
    own = members[groups]
    inner = totals[rows, groups] / np.maximum(own - 1, 1)
    outer = totals / members
    outer[rows, groups] = np.inf
    nearest = outer.min(axis=1)
    score = np.where(own > 1, (nearest - inner) / np.maximum(np.maximum(inner, nearest), 1e-12), 0)
    return float(score.mean())


def group_themes(vectors: Matrix, labels: Labels, count: int) -> Labels:
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
    sums = np.asarray(member @ vectors[inside], dtype=np.float64)
    means = sums / sizes[used, None]
    centroid = normalise(sums.astype(np.float32)).astype(np.float64)
    distance = np.maximum(1.0 - centroid @ centroid.T, 0.0)
    np.fill_diagonal(distance, 0.0)
    groups = np.arange(len(used))
    best, best_score = groups.copy(), 0.0  # each theme alone scores 0
    for a, b in _merges(means, sizes[used])[:-1]:  # one group for all is no level
        groups[groups == b] = a
        _, dense = np.unique(groups, return_inverse=True)
        score = silhouette(distance, dense)
        if score > best_score:
            best, best_score = dense, score
    _, dense = np.unique(best, return_inverse=True)
    weight = np.bincount(dense, weights=sizes[used])
    rank = np.empty(len(weight), dtype=np.int64)
    rank[np.argsort(-weight, kind="stable")] = np.arange(len(weight))
    out[used] = rank[dense]
    return out
