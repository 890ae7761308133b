"""Spike detection, near-duplicates and link suggestions on hand-made series and vectors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from productops.errors import UsageError
from productops.pillars.customer.duplicates import DuplicateRule, find_duplicates
from productops.pillars.customer.embeddings import normalise
from productops.pillars.customer.links import suggest_links
from productops.pillars.customer.trends import SpikeRule, find_spikes

MONDAY = datetime(2026, 1, 5)
WEEK = timedelta(weeks=1)


def _series(theme: str, counts: list[int]) -> list[dict[str, object]]:
    return [
        {"theme_id": theme, "period_start": MONDAY + i * WEEK, "items": n}
        for i, n in enumerate(counts)
        if n  # weeks without feedback have no row
    ]


def test_a_week_far_above_its_trailing_median_is_a_spike() -> None:
    counts = [3, 4, 3, 5, 4, 3, 4, 3, 20, 4]
    (spike,) = find_spikes(_series("a", counts), SpikeRule(k=4))
    # Median of the 8 weeks before: 3.5; MAD 0.5 -> 0.74, below sqrt(3.5) = 1.87.
    assert spike.week_start == MONDAY + 8 * WEEK
    assert (spike.items, spike.baseline) == (20, 3.5)
    assert spike.threshold == pytest.approx(3.5 + 4 * 3.5**0.5, abs=1e-3)
    assert spike.ratio == pytest.approx(20 / 3.5, abs=1e-3)


def test_missing_weeks_count_as_zero_and_small_counts_are_no_spike() -> None:
    # Weeks 1-7 have no feedback: the baseline of week 8 is 0 (median of 0,0,...,2).
    assert find_spikes(_series("b", [2, 0, 0, 0, 0, 0, 0, 0, 4])) == []  # below min_count 5
    (spike,) = find_spikes(_series("b", [2, 0, 0, 0, 0, 0, 0, 0, 9]))
    assert (spike.baseline, spike.threshold) == (0.0, 5.0)  # 0 + 5 x the floor of 1


def test_a_spread_out_series_needs_a_bigger_jump() -> None:
    noisy = [2, 12, 3, 14, 2, 13, 3, 12, 20]
    # Before the last week: median 7.5, MAD 5 -> 7.41; the threshold is 7.5 + 5 x 7.41 = 44.6.
    assert MONDAY + 8 * WEEK not in {s.week_start for s in find_spikes(_series("c", noisy))}


def test_too_short_a_history_finds_nothing_and_bad_rules_are_refused() -> None:
    assert find_spikes(_series("d", [1, 1, 50])) == []
    with pytest.raises(UsageError, match="min_history"):
        SpikeRule(weeks=8, min_history=9)


def _at(hours: float) -> datetime:
    return datetime(2026, 1, 5, tzinfo=UTC) + timedelta(hours=hours)


def test_repeats_point_to_the_first_of_their_chain() -> None:
    v = normalise(np.asarray([[1, 0, 0], [1, 0.1, 0], [1, 0.2, 0], [0, 1, 0], [1, 0, 0]]))
    ids = ["a", "b", "c", "d", "e"]
    times = [_at(0), _at(1), _at(2), _at(3), _at(24 * 9)]
    found = find_duplicates(ids, times, ["p"] * 5, v, DuplicateRule(threshold=0.99))
    # a~b (0.995), b~c (0.995), a~c (0.981 < 0.99): c joins a's chain through b;
    # d differs; e is like a but nine days later.
    assert found == {"b": "a", "c": "a"}


def test_only_the_same_group_and_window_repeat() -> None:
    v = normalise(np.ones((3, 2)))
    found = find_duplicates(["x", "y", "z"], [_at(5), _at(0), _at(1)], ["p", "p", "q"], v)
    assert found == {"x": "y"}  # y came first; z is someone else
    assert find_duplicates([], [], [], v[:0]) == {}


def test_the_best_item_above_the_threshold_is_suggested() -> None:
    items = normalise(np.asarray([[1, 0], [0, 1]]))
    sources = normalise(np.asarray([[0.9, 0.1], [0.1, 0.9], [1, 1]]))
    found = suggest_links(["f1", "f2", "f3"], sources, ["w1", "w2"], items, threshold=0.8)
    assert [(s.source_id, s.work_item_id) for s in found] == [("f1", "w1"), ("f2", "w2")]
    assert [s.score for s in found] == pytest.approx([0.9939, 0.9939], abs=1e-4)
    # f3 is 0.707 from both.
    both = suggest_links(["f3"], sources[2:], ["w1", "w2"], items, threshold=0.7, top=2)
    assert [s.work_item_id for s in both] == ["w1", "w2"]
    with pytest.raises(UsageError, match="threshold"):
        suggest_links(["f1"], sources[:1], ["w1"], items[:1], threshold=0)
