"""Suggested links from feedback to work items, by embedding similarity
(docs/customer-insights.md#links).

Each feedback text is compared with the work items' titles; the most similar item at or above
`threshold` is suggested (at most `top` per feedback). A person then confirms or rejects it.
Themes link the same way through their centroid (the mean embedding of their feedback).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from productops.errors import UsageError

__all__ = ["Suggestion", "suggest_links"]

_CHUNK = 2048


@dataclass(frozen=True)
class Suggestion:
    """A suggested link: `source_id` (feedback or theme) to `work_item_id`, similarity 0-1."""

    source_id: str
    work_item_id: str
    score: float


def suggest_links(
    source_ids: Sequence[str],
    source_vectors: npt.NDArray[np.float32],
    item_ids: Sequence[str],
    item_vectors: npt.NDArray[np.float32],
    threshold: float = 0.5,
    top: int = 1,
) -> list[Suggestion]:
    """The `top` most similar items per source at or above `threshold` (cosine of unit rows),
    best first within each source (ties: the earlier item); sources in input order."""
    if not 0 < threshold <= 1 or top < 1:
        raise UsageError(f"link suggestions: threshold {threshold} in (0, 1], top {top} >= 1")
    if len(source_ids) != len(source_vectors) or len(item_ids) != len(item_vectors):
        raise UsageError("suggest_links: ids and vectors differ in length")
    found: list[Suggestion] = []
    if not len(item_ids):
        return found
    k = min(top, len(item_ids))
    for start in range(0, len(source_ids), _CHUNK):
        sims = source_vectors[start : start + _CHUNK] @ item_vectors.T
        best = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        order = np.lexsort((best, -np.take_along_axis(sims, best, axis=1)), axis=1)
        for row, cols in enumerate(np.take_along_axis(best, order, axis=1)):
            for col in cols:
                score = float(sims[row, col])
                if score >= threshold:
                    found.append(
                        Suggestion(
                            source_ids[start + row],
                            item_ids[int(col)],
                            round(min(score, 1.0), 4),
                        )
                    )
    return found
