"""Monte Carlo forecasts from historical daily throughput (docs/metrics.md#forecasts).

Pure numpy over the daily counts the caller executed: each trial draws days at
random, with replacement, from the history (zero days included).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["CONFIDENCES", "Forecast", "how_many", "when_done"]

CONFIDENCES = (50, 85, 95)


@dataclass(frozen=True)
class Forecast:
    """A forecast at each confidence: items (how many) or days (when), or why there is none."""

    values: dict[int, float]
    trials: int
    history_days: int
    warning: str | None = None


def _history(daily: Sequence[int] | np.ndarray) -> np.ndarray:
    history = np.asarray(daily, dtype=np.int64)
    if history.ndim != 1 or (history < 0).any():
        raise ValueError("daily throughput must be a list of non-negative counts, one per day")
    return history


def how_many(
    daily: Sequence[int] | np.ndarray, days: int, trials: int = 10_000, seed: int = 0
) -> Forecast:
    """Items done in the next `days` days: at 85% confidence, at least `values[85]` items.

    >>> how_many([0, 2, 1, 3], days=10).values[50]  # doctest: +SKIP
    15.0
    """
    history = _history(daily)
    if history.size == 0 or days <= 0:
        return Forecast({}, 0, history.size, "no history or no days to forecast")
    rng = np.random.default_rng(seed)
    totals = rng.choice(history, size=(trials, days)).sum(axis=1)
    # "At least N with c% confidence" is the (100 - c)th percentile of the simulated totals.
    values = {c: float(np.percentile(totals, 100 - c, method="lower")) for c in CONFIDENCES}
    return Forecast(values, trials, history.size)


def when_done(
    daily: Sequence[int] | np.ndarray,
    items: int,
    trials: int = 10_000,
    seed: int = 0,
    horizon: int = 3650,
) -> Forecast:
    """Days until `items` more are done: at 85% confidence, within `values[85]` days.

    Trials that do not finish within `horizon` days count as not finishing.
    """
    history = _history(daily)
    if history.size == 0 or not history.any():
        return Forecast(
            {}, 0, history.size, "no item was done in the history: nothing to forecast from"
        )
    if items <= 0:
        return Forecast(dict.fromkeys(CONFIDENCES, 0.0), trials, history.size)
    rng = np.random.default_rng(seed)
    done = np.zeros(trials, dtype=np.int64)
    finished = np.full(trials, horizon + 1, dtype=np.int64)
    step = 64
    for start in range(0, horizon, step):
        block = (
            rng.choice(history, size=(trials, min(step, horizon - start))).cumsum(axis=1)
            + done[:, None]
        )
        reached = block >= items
        first = np.where(reached.any(axis=1), reached.argmax(axis=1) + start + 1, horizon + 1)
        finished = np.minimum(finished, first)
        done = block[:, -1]
        if (finished <= horizon).all():
            break
    values = {c: float(np.percentile(finished, c, method="higher")) for c in CONFIDENCES}
    warning = None
    if max(values.values()) > horizon:
        warning = f"some trials need more than {horizon} days"
    return Forecast(values, trials, history.size, warning)
