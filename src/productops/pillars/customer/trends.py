"""Feedback volume and sentiment per theme over time, and spikes (docs/customer-insights.md).

Volumes are Ibis aggregations over `feedback` and `feedback_theme`; a spike is found on the
weekly series in NumPy: a week whose count exceeds the median of the trailing weeks by
`k` robust standard deviations (1.4826 x MAD, at least the Poisson spread sqrt(median), at
least 1), with at least `min_count` items.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np

from productops.durations import Grain, period
from productops.errors import UsageError
from productops.pillars.customer.sentiment import is_read

if TYPE_CHECKING:
    import ibis.expr.types as ir

__all__ = ["Spike", "SpikeRule", "find_spikes", "theme_trend", "themed_feedback"]

WEEK = timedelta(weeks=1)
MAD_TO_SD = 1.4826  # a normal distribution's standard deviation per median absolute deviation


def themed_feedback(feedback: ir.Table, feedback_theme: ir.Table) -> ir.Table:
    """Feedback with its theme: one row per (feedback, theme), repeats (`duplicate_of`) left out.

    Returns `theme_id, feedback_id, created_at, account_id, requester_hash, channel, rating,
    sentiment, sentiment_label`.
    """
    f = feedback.filter(feedback.duplicate_of.isnull())
    j = feedback_theme.join(f, feedback_theme.feedback_id == f.id)
    return j.select(
        "theme_id",
        "feedback_id",
        "created_at",
        "account_id",
        "requester_hash",
        "channel",
        "rating",
        "sentiment",
        "sentiment_label",
    )


def theme_trend(feedback: ir.Table, feedback_theme: ir.Table, grain: Grain = "week") -> ir.Table:
    """Items and sentiment per theme and period of receipt (repeats left out).

    Returns `theme_id, period_start, items, read_share, mean_sentiment, negative, request`
    (`read_share`: the share of the items whose sentiment was read, 0-1); periods without
    feedback on a theme have no row.
    """
    t = themed_feedback(feedback, feedback_theme)
    t = t.mutate(period_start=period(t.created_at, grain))
    return (
        t.group_by("theme_id", "period_start")
        .aggregate(
            items=t.count(),
            read_share=is_read(t.sentiment_label).cast("float64").mean(),
            mean_sentiment=t.sentiment.mean(),
            negative=(t.sentiment_label == "negative").sum(),
            request=(t.sentiment_label == "request").sum(),
        )
        .order_by("theme_id", "period_start")
    )


@dataclass(frozen=True)
class SpikeRule:
    """When a week is a spike: more than `k` robust deviations above the median of the
    `weeks` weeks before it (weeks without feedback count as 0; at least `min_history` of them
    after the theme's first feedback), and at least `min_count` items."""

    weeks: int = 8
    k: float = 5.0
    min_count: int = 5
    min_history: int = 4

    def __post_init__(self) -> None:
        if self.weeks < 2 or not 2 <= self.min_history <= self.weeks:
            raise UsageError(
                f"spike rule: need 2 <= min_history ({self.min_history}) <= weeks ({self.weeks})"
            )
        if self.k <= 0 or self.min_count < 1:
            raise UsageError(
                f"spike rule: k ({self.k}) and min_count ({self.min_count}) must be > 0"
            )


@dataclass(frozen=True)
class Spike:
    """A theme's week far above its own baseline."""

    theme_id: str
    week_start: datetime
    items: int
    baseline: float  # median of the trailing weeks
    threshold: float  # items above this are a spike
    ratio: float  # items / max(baseline, 1)


def find_spikes(rows: Iterable[Mapping[str, Any]], rule: SpikeRule | None = None) -> list[Spike]:
    """Spikes in weekly volumes: `rows` are `theme_trend(..., "week")` rows (theme_id,
    period_start, items). Each theme's series runs from its first week to its last, gaps as 0.
    """
    r = rule or SpikeRule()
    series: dict[str, dict[datetime, int]] = {}
    for row in rows:
        series.setdefault(str(row["theme_id"]), {})[row["period_start"]] = int(row["items"])
    found: list[Spike] = []
    for theme, counts in sorted(series.items()):
        first, last = min(counts), max(counts)
        weeks = [first + i * WEEK for i in range((last - first) // WEEK + 1)]
        values = np.asarray([counts.get(w, 0) for w in weeks], dtype=np.float64)
        medians, thresholds = _thresholds(values, r)
        for i in np.flatnonzero((values >= r.min_count) & (values > thresholds)):
            found.append(
                Spike(
                    theme,
                    weeks[i],
                    int(values[i]),
                    float(medians[i]),
                    round(float(thresholds[i]), 3),
                    round(float(values[i]) / max(float(medians[i]), 1.0), 3),
                )
            )
    return found


def _thresholds(values: np.ndarray, r: SpikeRule) -> tuple[np.ndarray, np.ndarray]:
    """Per week, the median of the `r.weeks` weeks before it (fewer at the start) and the
    count above which it is a spike; infinite for the first `r.min_history` weeks."""
    medians = np.zeros(len(values))
    spreads = np.ones(len(values))
    thresholds = np.full(len(values), np.inf)
    first_full = max(r.min_history, r.weeks)
    for i in range(r.min_history, min(first_full, len(values))):  # the short windows
        before = values[max(0, i - r.weeks) : i]
        medians[i] = np.median(before)
        spreads[i] = np.median(np.abs(before - medians[i]))
    if len(values) > first_full:  # every full window at once
        windows = np.lib.stride_tricks.sliding_window_view(values[:-1], r.weeks)[
            first_full - r.weeks :
        ]
        medians[first_full:] = np.median(windows, axis=1)
        spreads[first_full:] = np.median(np.abs(windows - medians[first_full:, None]), axis=1)
    shown = slice(r.min_history, None)
    spread = np.maximum(np.maximum(MAD_TO_SD * spreads[shown], medians[shown] ** 0.5), 1.0)
    thresholds[shown] = medians[shown] + r.k * spread
    return medians, thresholds
