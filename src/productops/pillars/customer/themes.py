"""Theme discovery on unit-length embeddings, without being told how many themes there are.

Discovery: centre the vectors, smooth each one towards its nearest neighbours (which sharpens
dense groups the way UMAP does for BERTopic), build a Ward tree and cut it at a fixed height, or
at a coarser level where the tree shows a distinct one (a jump in merge height: `level_gaps`),
refine with a few nearest-centroid rounds, join themes whose centroids are nearly the same (and
refine again), then mark as outliers the items much less similar to their theme's centroid than
its typical member (below `outlier_ratio` times the theme's median) and the themes smaller than
`min_size`. Above `sample` items (the tree
needs memory quadratic in them) a fixed random sample is clustered and every item assigned to
its nearest theme. Incremental runs assign items to known centroids first and discover only
among the rest. Items may carry weights (how many times each occurs: distinct texts with their
counts): the result is that of each item repeated its weight times, one after the other. SciPy is imported where it is used, so loading the command line stays quick.
Definitions: docs/themes.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from productops.pillars.customer.embeddings import Matrix, normalise

__all__ = [
    "OUTLIER",
    "Clustering",
    "Labels",
    "ThemeSettings",
    "Weights",
    "assign",
    "centroids",
    "discover",
    "level_gaps",
    "median_similarities",
    "reduce_outliers",
    "representatives",
    "split",
    "update",
]

OUTLIER = -1
Labels = npt.NDArray[np.int64]
Weights = npt.NDArray[np.int64]


@dataclass(frozen=True)
class ThemeSettings:
    """Knobs of discovery; the defaults are the ones measured in bench/bench_themes.py."""

    neighbours: int = 15  # items each vector is smoothed towards (at most sqrt(n) / 4)
    height: float = 2.5  # Ward merge height at which the tree is cut (the fine cut)
    level_gap: float = 1.5  # a coarser level with this level gap (see level_gaps) is cut instead
    rounds: int = 5  # nearest-centroid refinement rounds
    merge_similarity: float = 0.8  # themes whose centroids are this similar (cosine) are joined
    min_size: int = 3  # smaller groups are outliers
    outlier_ratio: float = 0.4  # an item whose cosine to its theme's centroid is below this
    # share of the theme's median cosine is an outlier
    min_similarity: float = 0.3  # cosine to a known centroid needed to join it, when the
    # theme's median similarity is not known (incremental; else outlier_ratio x the median)
    min_new: int = 5  # items an incremental run needs, fitting no theme, to open a new one
    sample: int = 5000  # above this many items, discover on a sample and assign the rest


@dataclass(frozen=True)
class Clustering:
    """Labels (theme index, OUTLIER for none), the centroids, and each item's score: its cosine
    to its theme's centroid (an outlier's: to the nearest centroid)."""

    labels: Labels
    scores: npt.NDArray[np.float32]
    centroids: Matrix = field(repr=False)

    @property
    def outlier_share(self) -> float:
        """Fraction of items in no theme, 0-1."""
        return float(np.mean(self.labels == OUTLIER)) if len(self.labels) else 0.0


def centroids(
    vectors: Matrix, labels: Labels, count: int, weights: Weights | None = None
) -> Matrix:
    """Unit-length mean vector of each theme 0..count-1 (zero for an empty one), each item
    counted `weights` times (default once)."""
    from scipy import sparse

    inside = np.flatnonzero(labels >= 0)
    times = np.ones(len(inside), np.float32) if weights is None else weights[inside]
    members = sparse.csr_array(
        (times.astype(np.float32), (labels[inside], inside)), shape=(count, len(vectors))
    )
    return normalise(members @ vectors)


def assign(vectors: Matrix, known: Matrix, min_similarity: float) -> Clustering:
    """Each item to its most similar centroid, or OUTLIER when that cosine is below the bar."""
    if not len(known) or not len(vectors):
        empty = np.full(len(vectors), OUTLIER, dtype=np.int64)
        return Clustering(empty, np.zeros(len(vectors), np.float32), known)
    similarity = vectors @ known.T
    best = similarity.argmax(axis=1).astype(np.int64)
    scores = similarity[np.arange(len(vectors)), best].astype(np.float32)
    return Clustering(np.where(scores >= min_similarity, best, OUTLIER), scores, known)


def reduce_outliers(vectors: Matrix, clustering: Clustering, min_similarity: float) -> Clustering:
    """Outliers joined to their nearest theme when their cosine to it reaches `min_similarity`."""
    nearest = assign(vectors, clustering.centroids, min_similarity)
    out = clustering.labels == OUTLIER
    labels = np.where(out, nearest.labels, clustering.labels)
    scores = np.where(out, nearest.scores, clustering.scores).astype(np.float32)
    return Clustering(labels, scores, clustering.centroids)


def _smooth(vectors: Matrix, neighbours: int, chunk: int = 2048) -> Matrix:
    """Each vector replaced by the mean of its `neighbours` most similar vectors (itself included)."""
    out = np.empty_like(vectors)
    for start in range(0, len(vectors), chunk):
        similarity = vectors[start : start + chunk] @ vectors.T
        nearest = np.argpartition(-similarity, neighbours - 1, axis=1)[:, :neighbours]
        out[start : start + chunk] = vectors[nearest].mean(axis=1)
    return normalise(out)


def _ward(vectors: Matrix) -> npt.NDArray[np.float64]:
    """SciPy's Ward tree (linkage matrix); the pairwise distances from one matrix product."""
    from scipy.cluster.hierarchy import linkage

    count = len(vectors)
    squared = np.einsum("ij,ij->i", vectors, vectors)
    gram = vectors @ vectors.T
    condensed = np.empty(count * (count - 1) // 2)  # row i's distances to items i+1.. in turn
    start = 0
    for i in range(count - 1):
        end = start + count - 1 - i
        condensed[start:end] = squared[i] + squared[i + 1 :] - 2 * gram[i, i + 1 :]
        start = end
    np.sqrt(np.maximum(condensed, 0.0, out=condensed), out=condensed)
    return np.asarray(linkage(condensed, "ward"), dtype=np.float64)


def level_gaps(heights: npt.NDArray[np.float64], window: float = 1.25) -> npt.NDArray[np.float64]:
    """Per number of groups k (index k; 0 and 1 are NaN) of a tree whose merges have `heights`
    (in merge order, rising, as a Ward tree's): how much higher the tree must go to join its k
    groups into k / `window` than it went to form them, the merge height down to
    floor(k / window) groups over that of the merge that left k. Unitless, 1 or more: a
    distinct level of the tree shows as a peak (a jump in height)."""
    down = heights[::-1]  # down[j]: the merge from j + 2 groups to j + 1
    gaps = np.full(len(down) + 1, np.nan)
    k = np.arange(2, len(down) + 1)
    coarse = np.maximum(np.floor(k / window).astype(np.int64), 1)
    gaps[2:] = down[coarse - 1] / np.maximum(down[k - 1], 1e-12)
    return gaps


def _cut(tree: npt.NDArray[np.float64], settings: ThemeSettings) -> Labels:
    """The tree cut at `settings.height`, or at a coarser level where the tree shows one: the
    number of groups below the fine cut's whose level gap is largest, when it reaches
    `settings.level_gap`."""
    from scipy.cluster.hierarchy import fcluster

    fine = np.asarray(fcluster(tree, settings.height, "distance"), np.int64) - 1
    count = int(fine.max()) + 1
    gaps = level_gaps(tree[:, 2])[:count]
    if count <= 2 or np.nanmax(gaps) < settings.level_gap:
        return fine
    coarse = int(np.nanargmax(gaps))
    return np.asarray(fcluster(tree, coarse, "maxclust"), np.int64) - 1


def _refine(vectors: Matrix, labels: Labels, rounds: int) -> Labels:
    for _ in range(rounds):
        used, dense = np.unique(labels, return_inverse=True)
        similarity = vectors @ centroids(vectors, dense, len(used)).T
        moved: Labels = np.asarray(similarity.argmax(axis=1), dtype=np.int64)
        if np.array_equal(moved, dense):
            return moved
        labels = moved
    return labels


def _join_close(vectors: Matrix, labels: Labels, similarity: float) -> Labels:
    """Themes joined, transitively, where their centroids' cosine similarity reaches `similarity`."""
    from scipy.sparse.csgraph import connected_components

    used, dense = np.unique(labels, return_inverse=True)
    known = centroids(vectors, dense, len(used))
    _, joined = connected_components(known @ known.T >= similarity)
    return np.asarray(joined, dtype=np.int64)[dense]


def _medians(
    labels: Labels, scores: npt.NDArray[np.float32], count: int, weights: Weights | None = None
) -> npt.NDArray[np.float64]:
    """The median score of each theme 0..count-1's items, each counted `weights` times (default
    once; 0 for an empty theme), then a 0 for OUTLIER, so that `_medians(...)[labels]` is each
    item's theme's median."""
    weights = np.ones(len(labels), np.int64) if weights is None else weights
    out = np.zeros(count + 1)
    inside = np.flatnonzero(labels >= 0)
    order = inside[np.lexsort((scores[inside], labels[inside]))]
    sizes = np.bincount(labels[inside], weights[inside], minlength=count).astype(np.int64)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    used = sizes > 0
    # the item at each place of the sorted items repeated: the first whose running weight passes it
    running = np.cumsum(weights[order])
    low = order[np.searchsorted(running, starts[used] + (sizes[used] - 1) // 2, side="right")]
    high = order[np.searchsorted(running, starts[used] + sizes[used] // 2, side="right")]
    out[:count][used] = (scores[low].astype(np.float64) + scores[high]) / 2
    return out


def _sizes(labels: Labels, weights: Weights, count: int) -> Weights:
    """Items (each counted `weights` times) of each theme 0..count-1."""
    inside = labels >= 0
    return np.bincount(labels[inside], weights[inside], minlength=count).astype(np.int64)


def _finish(
    vectors: Matrix, labels: Labels, settings: ThemeSettings, weights: Weights | None = None
) -> Clustering:
    """Outliers by similarity and size; themes numbered by size, largest first."""
    weights = np.ones(len(labels), np.int64) if weights is None else weights
    count = int(labels.max()) + 1 if len(labels) else 0
    for _ in range(2):
        found = assign(vectors, centroids(vectors, labels, count, weights), -1.0)
        own = found.labels == labels
        typical = _medians(np.where(own, labels, OUTLIER), found.scores, count, weights)
        close = own & (found.scores >= settings.outlier_ratio * typical[labels])
        labels = np.where(close, labels, OUTLIER)
        sizes = _sizes(labels, weights, count + 1)
        labels = np.where(sizes[labels] >= settings.min_size, labels, OUTLIER)
    sizes = _sizes(labels, weights, count)
    order = np.argsort(-sizes, kind="stable")[: int(np.count_nonzero(sizes))]
    rank = np.full(count + 1, OUTLIER, dtype=np.int64)
    rank[order] = np.arange(len(order))
    labels = rank[labels]
    found = assign(vectors, centroids(vectors, labels, len(order), weights), -1.0)
    own = (vectors * found.centroids[np.maximum(labels, 0)]).sum(axis=1) if len(order) else 0.0
    scores = np.where(labels >= 0, own, found.scores).astype(np.float32)
    return Clustering(labels, scores, found.centroids)


def _weighted(vectors: Matrix, settings: ThemeSettings, weights: Weights) -> Clustering:
    """`discover` over each item repeated its weight times, without repeating more than
    `settings.sample` of them: a sample is drawn from the repeated items, as `discover` draws it."""
    total = int(weights.sum())
    if total <= settings.sample:
        found = discover(np.repeat(vectors, weights, axis=0), settings)
        first = np.cumsum(weights) - weights  # each item's first place among the repeated
        return Clustering(found.labels[first], found.scores[first], found.centroids)
    chosen = np.sort(np.random.default_rng(0).choice(total, settings.sample, False))
    items, times = np.unique(
        np.searchsorted(np.cumsum(weights), chosen, side="right"), return_counts=True
    )
    found = discover(vectors[items], settings, weights=times)
    return _finish(vectors, assign(vectors, found.centroids, -1.0).labels, settings, weights)


def _checked(weights: Weights | None, count: int) -> Weights | None:
    """`weights` as int64 when some differs from 1 (else None: the plain path)."""
    if weights is None:
        return None
    weights = np.asarray(weights, dtype=np.int64)
    if weights.shape != (count,) or (count and weights.min() < 1):
        raise ValueError("weights: one whole number of at least 1 per item")
    return weights if np.any(weights != 1) else None


def discover(
    vectors: Matrix, settings: ThemeSettings | None = None, weights: Weights | None = None
) -> Clustering:
    """Themes among `vectors` (unit rows), their number found from the data; see the module.

    `weights`: how many times each item counts (default once); the result is that of the
    items repeated so, each item's label and score those of its copies.
    """
    settings = settings or ThemeSettings()
    if (weights := _checked(weights, len(vectors))) is not None:
        return _weighted(vectors, settings, weights)
    if len(vectors) < max(settings.min_size, 2):
        return _finish(vectors, np.full(len(vectors), OUTLIER, dtype=np.int64), settings)
    if len(vectors) > settings.sample:
        chosen = np.sort(np.random.default_rng(0).choice(len(vectors), settings.sample, False))
        found = discover(vectors[chosen], settings)
        return _finish(vectors, assign(vectors, found.centroids, -1.0).labels, settings)
    centred = normalise(vectors - vectors.mean(axis=0))
    smoothed = _smooth(centred, min(settings.neighbours, max(1, round(len(vectors) ** 0.5 / 4))))
    labels = _refine(centred, _cut(_ward(smoothed), settings), settings.rounds)
    labels = _join_close(vectors, labels, settings.merge_similarity)
    labels = _refine(centred, labels, settings.rounds)
    return _finish(vectors, labels, settings)


def update(
    vectors: Matrix,
    known: Matrix,
    settings: ThemeSettings | None = None,
    medians: npt.NDArray[np.float64] | None = None,
    weights: Weights | None = None,
) -> Clustering:
    """Items assigned to the `known` centroids first; new themes discovered among the rest.

    An item joins its most similar known theme when its cosine to it reaches `outlier_ratio`
    times the theme's median similarity (`medians`, as `median_similarities` gives; discovery's
    bar), or `min_similarity` for a theme whose median is NaN (not known). Labels below
    len(known) are known themes; from len(known) on, new ones (each at least `min_new` items).
    The returned centroids are the known ones followed by the new ones. With no known themes
    this is `discover`. `weights` as `discover`'s.
    """
    settings = settings or ThemeSettings()
    if not len(known):
        return discover(vectors, settings, weights=weights)
    times = np.ones(len(vectors), np.int64) if weights is None else np.asarray(weights, np.int64)
    typical = np.full(len(known), np.nan) if medians is None else np.asarray(medians, np.float64)
    bars = np.where(np.isnan(typical), settings.min_similarity, settings.outlier_ratio * typical)
    nearest = assign(vectors, known, -1.0)
    fits = nearest.scores >= bars[nearest.labels]
    first = Clustering(np.where(fits, nearest.labels, OUTLIER), nearest.scores, known)
    rest = np.flatnonzero(first.labels == OUTLIER)
    labels, scores = first.labels.copy(), first.scores.copy()
    fresh = np.zeros((0, vectors.shape[1]), dtype=np.float32)
    if times[rest].sum() >= settings.min_new:
        found = discover(vectors[rest], settings, weights=times[rest])
        sizes = _sizes(found.labels, times[rest], len(found.centroids))
        keep = np.flatnonzero(sizes >= settings.min_new)
        new_index = np.full(len(found.centroids) + 1, OUTLIER, dtype=np.int64)
        new_index[keep] = len(known) + np.arange(len(keep))
        labels[rest] = new_index[found.labels]
        inside = labels[rest] >= 0
        scores[rest] = np.where(inside, found.scores, scores[rest])
        fresh = found.centroids[keep]
    return Clustering(labels, scores, np.concatenate([known, fresh]).astype(np.float32))


def median_similarities(
    vectors: Matrix, labels: Labels, known: Matrix, weights: Weights | None = None
) -> npt.NDArray[np.float64]:
    """Each theme's median cosine similarity of its items (`labels`, each counted `weights`
    times) to its centroid (a row of `known`); NaN for a theme without items."""
    if not len(known):
        return np.zeros(0)
    scores = (vectors * known[np.maximum(labels, 0)]).sum(axis=1).astype(np.float32)
    typical = _medians(labels, scores, len(known), weights)[: len(known)]
    sizes = np.bincount(labels[labels >= 0], minlength=len(known))[: len(known)]
    return np.where(sizes > 0, typical, np.nan)


def split(vectors: Matrix, parts: int = 2) -> Labels:
    """A theme's items cut into `parts` groups (Ward on the centred vectors)."""
    if len(vectors) < parts:
        return np.arange(len(vectors), dtype=np.int64)
    from scipy.cluster.hierarchy import fcluster, linkage

    centred = normalise(vectors - vectors.mean(axis=0))
    tree = linkage(centred.astype(np.float64), "ward")
    return np.asarray(fcluster(tree, parts, "maxclust"), dtype=np.int64) - 1


def representatives(clustering: Clustering, count: int = 3) -> list[list[int]]:
    """Per theme, the indices of its `count` items most similar to its centroid."""
    out: list[list[int]] = []
    for theme in range(len(clustering.centroids)):
        members = np.flatnonzero(clustering.labels == theme)
        best = members[np.argsort(-clustering.scores[members], kind="stable")[:count]]
        out.append([int(i) for i in best])
    return out
