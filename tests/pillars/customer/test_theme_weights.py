"""Weighted discovery: distinct items with their counts give the themes of the items repeated."""

from __future__ import annotations

import numpy as np
import pytest

from productops.pillars.customer.embeddings import Matrix, normalise
from productops.pillars.customer.themes import (
    Clustering,
    ThemeSettings,
    centroids,
    discover,
    update,
)


def _distinct(seed: int, topics: int = 8, per: int = 40) -> tuple[Matrix, np.ndarray]:
    """`topics` blobs of `per` distinct unit vectors, and a count (1-6) for each."""
    rng = np.random.default_rng(seed)
    directions = normalise(rng.normal(size=(topics, 48)))
    spread = rng.normal(size=(topics * per, 48)) * 0.06
    vectors = normalise(np.repeat(directions, per, axis=0) + spread)
    return vectors, rng.integers(1, 7, size=len(vectors))


def _same(weighted: Clustering, repeated: Clustering, weights: np.ndarray) -> None:
    """The repeated items' result is each distinct item's, repeated."""
    np.testing.assert_array_equal(np.repeat(weighted.labels, weights), repeated.labels)
    np.testing.assert_allclose(np.repeat(weighted.scores, weights), repeated.scores, atol=1e-5)
    np.testing.assert_allclose(weighted.centroids, repeated.centroids, atol=1e-5)


@pytest.mark.parametrize("sample", [5000, 300])  # the whole set, and a sample of the repeated
def test_distinct_items_weighted_give_the_themes_of_the_repeated_set(sample: int) -> None:
    vectors, weights = _distinct(1)
    settings = ThemeSettings(sample=sample)
    repeated = discover(np.repeat(vectors, weights, axis=0), settings)
    weighted = discover(vectors, settings, weights)
    assert len(weighted.centroids) >= 6
    assert int(weights.sum()) > sample or sample == 5000
    _same(weighted, repeated, weights)


def test_weights_of_one_change_nothing() -> None:
    vectors, _ = _distinct(2)
    plain = discover(vectors)
    ones = discover(vectors, weights=np.ones(len(vectors), np.int64))
    np.testing.assert_array_equal(plain.labels, ones.labels)
    np.testing.assert_array_equal(plain.centroids, ones.centroids)


def test_an_incremental_run_weighted_is_the_repeated_run() -> None:
    vectors, weights = _distinct(3)
    topic = np.repeat(np.arange(8), 40)
    known = centroids(vectors, np.where(topic < 5, topic, -1), 5)  # five of the eight topics
    settings = ThemeSettings(min_new=40)  # a new theme needs 40 items: counted with weights
    repeated = update(np.repeat(vectors, weights, axis=0), known, settings)
    weighted = update(vectors, known, settings, weights)
    assert len(weighted.centroids) > 5
    _same(weighted, repeated, weights)


def test_weighted_centroids_are_the_means_of_the_repeated_items() -> None:
    vectors, weights = _distinct(4, topics=3, per=5)
    labels = np.repeat(np.arange(3), 5)
    expected = centroids(np.repeat(vectors, weights, axis=0), np.repeat(labels, weights), 3)
    np.testing.assert_allclose(centroids(vectors, labels, 3, weights), expected, atol=1e-6)


def test_weights_must_be_whole_and_positive() -> None:
    vectors, _ = _distinct(5, topics=2, per=3)
    with pytest.raises(ValueError, match="weights"):
        discover(vectors, weights=np.zeros(len(vectors), np.int64))
