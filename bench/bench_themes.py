"""Theme discovery quality and speed on CLINC150 (4,500 utterances, 150 intents).

Target (issue 4): NMI >= 0.91 and ARI >= 0.72 against the intent labels, at most 10% outliers
and fewer than 1.3x as many themes as intents, the number of themes not given. Baseline in the
same run: k-means told the true number of intents, on the same embeddings. Printed for MiniLM
(when installed) and for the model-free fallback: embedding speed, discovery time, NMI, ARI,
outlier share and number of themes, raw and after outlier reduction; the time to assign
1,000 new items to the discovered themes; and discovery on 100,000 vectors (--scale).

    .venv/bin/python bench/bench_themes.py [--data ../shared/eval/clinc150_test.csv]
"""

from __future__ import annotations

import argparse
import csv
import os
import time
from pathlib import Path

import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from productops.pillars.customer.embeddings import (
    Embedder,
    fallback_embedder,
    minilm_dir,
    minilm_embedder,
    normalise,
)
from productops.pillars.customer.themes import (
    Clustering,
    ThemeSettings,
    assign,
    discover,
    reduce_outliers,
)

DATA = Path(__file__).resolve().parents[2] / "shared" / "eval" / "clinc150_test.csv"


def _scores(name: str, truth: list[str], labels: np.ndarray, seconds: float) -> None:
    themes = len(set(labels.tolist()) - {-1})
    print(
        f"  {name:<28} NMI {normalized_mutual_info_score(truth, labels):.3f}  "
        f"ARI {adjusted_rand_score(truth, labels):.3f}  outliers {np.mean(labels == -1):6.1%}  "
        f"themes {themes:4d}  {seconds:6.2f} s"
    )


def run(embedder: Embedder, texts: list[str], truth: list[str]) -> np.ndarray:
    start = time.perf_counter()
    vectors = embedder.embed(texts)
    seconds = time.perf_counter() - start
    print(
        f"{embedder.name}: embedded {len(texts)} texts in {seconds:.1f} s ({len(texts) / seconds:.0f} texts/s)"
    )
    start = time.perf_counter()
    found: Clustering = discover(vectors, ThemeSettings())
    _scores("productops", truth, found.labels, time.perf_counter() - start)
    start = time.perf_counter()
    reduced = reduce_outliers(vectors, found, 0.0)
    _scores("productops, outliers reduced", truth, reduced.labels, time.perf_counter() - start)
    start = time.perf_counter()
    kmeans = KMeans(n_clusters=len(set(truth)), n_init=1, random_state=0).fit(vectors)
    _scores("k-means told k (baseline)", truth, kmeans.labels_, time.perf_counter() - start)
    new = vectors[np.random.default_rng(0).integers(0, len(vectors), 1000)]
    start = time.perf_counter()
    assign(new, found.centroids, ThemeSettings().min_similarity)
    print(
        f"  assign 1,000 new items to {len(found.centroids)} themes: {time.perf_counter() - start:.4f} s"
    )
    return vectors


def scaled(vectors: np.ndarray, count: int) -> None:
    """Discovery on `count` vectors: the given ones repeated with a little noise, renormalised."""
    rng = np.random.default_rng(0)
    many = vectors[rng.integers(0, len(vectors), count)]
    many = normalise(many + rng.normal(0, 0.02, many.shape).astype(np.float32))
    start = time.perf_counter()
    found = discover(many)
    print(
        f"discovery on {count:,} vectors of {many.shape[1]} dimensions: "
        f"{time.perf_counter() - start:.1f} s, {len(found.centroids)} themes, "
        f"outliers {found.outlier_share:.1%}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--scale", type=int, default=100_000, help="items for the speed run")
    args = parser.parse_args()
    with args.data.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    texts, truth = [r["text"] for r in rows], [r["intent"] for r in rows]
    print(f"{len(texts)} texts, {len(set(truth))} intents; load average {os.getloadavg()[0]:.1f}")
    embedders = [minilm_embedder()] if minilm_dir() is not None else []
    vectors = [run(embedder, texts, truth) for embedder in [*embedders, fallback_embedder()]]
    scaled(vectors[0], args.scale)
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
