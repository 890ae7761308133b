"""Weighted discovery: distinct items with their counts give the themes of the items repeated."""

from __future__ import annotations

import numpy as np
import pytest

from productops.pillars.customer.embeddings import Matrix, normalise
from productops.pillars.customer.groups import group_themes
from productops.pillars.customer.labels import phrase_counts, phrase_labels
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
    weighted = update(vectors, known, settings, weights=weights)
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


def test_weighted_groups_are_the_groups_of_the_repeated_items() -> None:
    vectors, weights = _distinct(6, topics=12, per=10)
    labels = np.repeat(np.arange(24), 5)  # two themes a topic
    repeated = group_themes(np.repeat(vectors, weights, axis=0), np.repeat(labels, weights), 24)
    weighted = group_themes(vectors, labels, 24, weights=weights)
    np.testing.assert_array_equal(weighted, repeated)
    assert weighted.max() < 23  # some themes were grouped


def test_weighted_labels_are_the_labels_of_the_repeated_texts() -> None:
    texts = ["export to csv fails", "csv export is broken", "please add dark mode", "dark mode"]
    texts += ["the export button", "mode of payment"]
    labels, weights = np.array([0, 0, 1, 1, 0, 1]), np.array([1, 1, 5, 1, 4, 1])
    repeated = phrase_counts(
        [t for t, w in zip(texts, weights, strict=True) for _ in range(w)],
        np.repeat(labels, weights),
        2,
    )
    weighted = phrase_counts(texts, labels, 2, weights)
    sizes = np.bincount(labels, weights).astype(int).tolist()
    assert [dict(c.held) for c in weighted] == [dict(c.held) for c in repeated]
    assert phrase_labels(weighted, sizes) == phrase_labels(repeated, sizes)
    assert phrase_labels(weighted, sizes) != phrase_labels(phrase_counts(texts, labels, 2), sizes)
