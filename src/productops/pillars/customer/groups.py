"""Theme groups: a second, coarser level over the themes of one language.

Themes are joined bottom-up by Ward's criterion on their items (the pair whose merge adds the
least to the items' squared distances from their group's mean, so the groups' sizes count),
never into a group of more than `max_share` of the items, and that tree is cut at the coarser
of two levels: the **cost cut**, the merges that each add at most `max_cost` of the items'
variance (many small themes of one topic join cheaply; broad themes, each a large share of the
items, only when nearly the same, so themes already at the data's coarse level stay apart);
and a **distinct level** above it, the number of groups whose level gap (as in
`themes.level_gaps`) is largest, when it reaches `level_gap`. A theme larger than the share cap
is a group by itself. No number of groups is given. Definitions: docs/themes.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from productops.pillars.customer.embeddings import Matrix
from productops.pillars.customer.themes import OUTLIER, Labels, ThemeSettings, level_gaps

__all__ = ["GroupSettings", "group_themes"]

Floats = npt.NDArray[np.float64]
Merge = tuple[int, int, float]  # the two groups' indices (the first becomes the union), cost


@dataclass(frozen=True)
class GroupSettings:
    """Knobs of grouping; the defaults are the ones measured in bench/bench_themes.py."""

    max_cost: float = 0.005  # the cost cut: a merge adding at most this share of the variance
    max_share: float = 0.25  # no merge makes a group of more than this share of the items
    level_gap: float = ThemeSettings.level_gap  # a coarser level with this level gap is cut


def _merges(means: Floats, sizes: Floats, max_size: float) -> tuple[list[Merge], int]:
    """The Ward tree of weighted points (Lance-Williams updates of the costs): its merges, each
    with its cost (the rise in the summed squared distances from the groups' means), cheapest
    first among those within `max_size`, then, once none is, cheapest first among the rest;
    and how many came before the first over `max_size`."""
    squared = np.einsum("ij,ij->i", means, means)
    distance = np.maximum(squared[:, None] + squared[None, :] - 2 * means @ means.T, 0.0)
    cost = sizes[:, None] * sizes[None, :] / (sizes[:, None] + sizes[None, :]) * distance
    np.fill_diagonal(cost, np.inf)
    sizes = sizes.copy()
    merges: list[Merge] = []
    allowed = len(means) - 1
    for done in range(len(means) - 1):
        pick = cost
        if done < allowed:
            pick = np.where(sizes[:, None] + sizes[None, :] <= max_size, cost, np.inf)
            if not np.isfinite(pick.min()):
                allowed, pick = done, cost
        first, second = np.unravel_index(int(np.argmin(pick)), cost.shape)
        a, b = int(min(first, second)), int(max(first, second))
        merges.append((a, b, float(cost[a, b])))
        joined = sizes[a] + sizes[b] + sizes
        cost[a] = (sizes[a] + sizes) * cost[a] + (sizes[b] + sizes) * cost[b] - sizes * cost[a, b]
        cost[a] /= joined
        cost[:, a] = cost[a]
        cost[b], cost[:, b] = np.inf, np.inf
        cost[a, a] = np.inf
        sizes[a] += sizes[b]
    return merges, allowed


def _cut(merges: list[Merge], allowed: int, limit: float, gap: float) -> int:
    """How many of the `merges` to make (at most `allowed`): those costing at most `limit`
    (the cost cut), or more, up to a distinct level above it: the number of groups k whose
    level gap is largest, when it reaches `gap`, then, of k and the numbers down to k / 1.25
    that the gap spans, the one left by the merge with the largest rise in height."""
    count = len(merges) + 1
    heights = np.sqrt([cost for _, _, cost in merges])
    done = int(np.count_nonzero(heights[:allowed] <= np.sqrt(limit)))
    lowest = count - allowed  # the fewest groups the size cap allows
    gaps = level_gaps(heights)[: count - done]  # k groups, fewer than the cost cut's
    gaps[: max(lowest, 2)] = 0.0
    if len(gaps) <= lowest or gaps.max() < gap:
        return done
    k = int(np.argmax(gaps))
    down = heights[::-1]  # down[j]: the merge from j + 2 groups to j + 1
    span = np.arange(max(int(k / 1.25), lowest, 2), k + 1)  # 1.25: level_gaps' window
    rise = down[span - 2] / np.maximum(down[span - 1], 1e-12)  # next merge over the last one
    return count - int(span[np.argmax(rise)])


def group_themes(
    vectors: Matrix,
    labels: Labels,
    count: int,
    settings: GroupSettings | None = None,
    weights: npt.NDArray[np.int64] | None = None,
) -> Labels:
    """The group of each theme 0..count-1 (OUTLIER for a theme without items), groups numbered
    by their items, largest first. `labels`: each item's theme (OUTLIER for none); an item
    counts `weights` times (default once), as if repeated."""
    from scipy import sparse

    settings = settings or GroupSettings()
    inside = labels >= 0
    times = np.ones(len(labels)) if weights is None else np.asarray(weights, np.float64)
    sizes = np.bincount(labels[inside], times[inside], minlength=count).astype(np.float64)
    used = np.flatnonzero(sizes > 0)
    out = np.full(count, OUTLIER, dtype=np.int64)
    if not len(used):
        return out
    index = np.full(count, OUTLIER, dtype=np.int64)
    index[used] = np.arange(len(used))
    items = index[labels[inside]]
    held = times[inside]
    member = sparse.csr_array((held, (items, np.arange(len(items)))), (len(used), len(items)))
    themed = np.asarray(vectors[inside], dtype=np.float64)
    means = np.asarray(member @ themed) / sizes[used, None]
    centre = np.average(themed, axis=0, weights=held)
    variance = float(held @ np.sum((themed - centre) ** 2, axis=1))  # summed over the items
    merges, allowed = _merges(means, sizes[used], settings.max_share * float(held.sum()))
    made = _cut(merges, allowed, settings.max_cost * variance, settings.level_gap)
    groups = np.arange(len(used))
    for a, b, _ in merges[:made]:
        groups[groups == b] = a
    _, dense = np.unique(groups, return_inverse=True)
    weight = np.bincount(dense, weights=sizes[used])
    rank = np.empty(len(weight), dtype=np.int64)
    rank[np.argsort(-weight, kind="stable")] = np.arange(len(weight))
    out[used] = rank[dense]
    return out
