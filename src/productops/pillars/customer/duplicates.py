"""Near-duplicate feedback: the same person saying the same thing again within a short time
(docs/customer-insights.md#duplicates).

Two items are near-duplicates when they share a group (by default the requester and the
language), were received at most `window` apart and their embeddings have a cosine
similarity of at least `threshold`. Each repeat points to the earliest item of its chain,
so a complaint pasted five times counts once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt

from productops.errors import UsageError

__all__ = ["DuplicateRule", "find_duplicates"]

_CHUNK = 512


@dataclass(frozen=True)
class DuplicateRule:
    """How close two items must be to count as one: similarity, time apart, same person."""

    threshold: float = 0.92
    window: timedelta = timedelta(days=7)
    same_requester: bool = True

    def __post_init__(self) -> None:
        if not 0 < self.threshold <= 1:
            raise UsageError(f"duplicate threshold {self.threshold}: use a similarity in (0, 1]")
        if self.window <= timedelta(0):
            raise UsageError(f"duplicate window {self.window}: must be positive")


def _group_roots(
    order: npt.NDArray[np.int64],
    seconds: npt.NDArray[np.int64],
    vectors: npt.NDArray[np.float32],
    rule: DuplicateRule,
) -> dict[int, int]:
    """Within one group (rows `order`, by time): repeat row -> the row it repeats first."""
    window = int(rule.window.total_seconds())
    t = seconds[order]
    v = vectors[order]
    root: dict[int, int] = {}
    for start in range(0, len(order), _CHUNK):
        stop = min(start + _CHUNK, len(order))
        lo = int(np.searchsorted(t, t[start] - window, side="left"))
        sims = v[start:stop] @ v[lo:stop].T
        apart = t[start:stop, None] - t[None, lo:stop]
        earlier = np.arange(start, stop)[:, None] > np.arange(lo, stop)[None, :]
        hit = (sims >= rule.threshold) & (apart <= window) & earlier
        for i in np.flatnonzero(hit.any(axis=1)):
            j = lo + int(np.argmax(hit[i]))  # the earliest earlier match
            first = int(order[j])
            root[int(order[start + i])] = root.get(first, first)
    return root


def find_duplicates(
    ids: Sequence[str],
    created_at: Sequence[datetime],
    groups: Sequence[str | None],
    vectors: npt.NDArray[np.float32],
    rule: DuplicateRule | None = None,
) -> dict[str, str]:
    """Repeat id -> the id of the earliest item it repeats.

    `groups` says who may repeat whom (e.g. requester and language joined; None: the item is
    compared with every other item of no group). `vectors` are unit-length embeddings, one
    row per id. Ties in time are broken by input order.
    """
    r = rule or DuplicateRule()
    if not len(ids) == len(created_at) == len(groups) == len(vectors):
        raise UsageError("find_duplicates: ids, times, groups and vectors differ in length")
    seconds = np.asarray([int(t.timestamp()) for t in created_at], dtype=np.int64)
    by_group: dict[str | None, list[int]] = {}
    for i in np.lexsort((np.arange(len(ids)), seconds)):
        by_group.setdefault(groups[int(i)], []).append(int(i))
    found: dict[str, str] = {}
    for rows in by_group.values():
        if len(rows) > 1:
            roots = _group_roots(np.asarray(rows, dtype=np.int64), seconds, vectors, r)
            found.update({ids[k]: ids[v] for k, v in roots.items()})
    return found
