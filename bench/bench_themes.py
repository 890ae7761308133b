"""Theme discovery quality and speed on CLINC150 (4,500 utterances, 150 intents), beside BERTopic.

Target (issue 4): NMI >= 0.91 and ARI >= 0.72 against the intent labels, at most 10% outliers
and fewer than 1.3x as many themes as intents, the number of themes not given; clustering at
least 3x faster than BERTopic's on the same embeddings; 100k items from raw text to themes in
under 5 minutes; 1,000 new items assigned in under 5 s. Same run, same MiniLM vectors:
BERTopic 0.17 with default settings (UMAP, HDBSCAN, c-TF-IDF) and then its
`reduce_outliers(strategy="embeddings")`, and k-means told the true number of intents.
Printed for MiniLM (when installed) and for the model-free fallback: embedding speed,
clustering time, NMI, ARI, outlier share and number of themes; assigning 1,000 new items;
discovery on 100,000 vectors (--scale) and the projected raw-text-to-themes time for 100k
distinct texts; run whole from raw text: --end-to-end N demo feedback texts (4 languages),
--distinct N distinct texts (two CLINC utterances joined: about 22 tokens, the demo 18).

BERTopic is not a dependency of productops; install it for this benchmark only, without its
torch and sentence-transformers requirements (the embeddings are passed in):
`.venv/bin/pip install --no-deps "bertopic==0.17.*" umap-learn hdbscan pynndescent numba llvmlite tqdm`.

    .venv/bin/python bench/bench_themes.py [--data ../shared/eval/clinc150_test.csv]
        [--end-to-end 100000] [--distinct 100000] [--no-bertopic]
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from minilm_numpy import NumpyMiniLM
from productops.demo.text import LANGUAGES, THEMES, render
from productops.pillars.customer.embeddings import (
    Embedder,
    Matrix,
    fallback_embedder,
    minilm_dir,
    minilm_embedder,
    normalise,
)
from productops.pillars.customer.labels import keywords
from productops.pillars.customer.themes import (
    ThemeSettings,
    assign,
    discover,
    reduce_outliers,
)

DATA = Path(__file__).resolve().parents[2] / "shared" / "eval" / "clinc150_test.csv"


def _scores(name: str, truth: list[str], labels: np.ndarray, seconds: float) -> None:
    themes = len(set(labels.tolist()) - {-1})
    print(
        f"  {name:<36} NMI {normalized_mutual_info_score(truth, labels):.3f}  "
        f"ARI {adjusted_rand_score(truth, labels):.3f}  outliers {np.mean(labels == -1):6.1%}  "
        f"themes {themes:4d}  {seconds:6.2f} s"
    )


def bertopic(texts: list[str], vectors: Matrix, truth: list[str]) -> float | None:
    """BERTopic's defaults on the given vectors; seconds of its second (JIT-warm) fit, or None."""
    try:
        from bertopic import BERTopic
    except ImportError as exc:
        print(f"  BERTopic not run: {exc} (install: see this file's docstring)")
        return None
    seconds = []
    for _ in range(2):  # the first fit also compiles UMAP's and HDBSCAN's numba code
        start = time.perf_counter()
        model = BERTopic()
        topics, _ = model.fit_transform(texts, vectors)
        seconds.append(time.perf_counter() - start)
    print(f"  BERTopic fit: first {seconds[0]:.1f} s (numba compiling), second {seconds[1]:.1f} s")
    _scores("BERTopic 0.17 (defaults)", truth, np.asarray(topics), seconds[1])
    start = time.perf_counter()
    reduced = model.reduce_outliers(texts, topics, strategy="embeddings", embeddings=vectors)
    _scores("BERTopic, outliers reduced", truth, np.asarray(reduced), time.perf_counter() - start)
    return seconds[1]


def against_numpy(name: str, texts: list[str]) -> None:
    """MiniLM in ONNX Runtime against the same forward pass in NumPy (bench/minilm_numpy.py):
    texts per second, best of 2 interleaved runs, and the least cosine between their vectors."""
    ours, numpy_pass = minilm_embedder(), NumpyMiniLM()
    best = {"onnx": np.inf, "numpy": np.inf}
    vectors = {}
    for _ in range(2):
        for side, embedder in (("onnx", ours), ("numpy", numpy_pass)):
            start = time.perf_counter()
            vectors[side] = embedder.embed(texts)
            best[side] = min(best[side], time.perf_counter() - start)
    agreement = float(np.min(np.sum(vectors["onnx"] * vectors["numpy"], axis=1)))
    print(
        f"MiniLM on {len(texts):,} {name}: ONNX Runtime {len(texts) / best['onnx']:.0f} texts/s, "
        f"NumPy {len(texts) / best['numpy']:.0f} texts/s, ratio {best['numpy'] / best['onnx']:.2f}x;"
        f" least cosine between their vectors {agreement:.6f}"
    )


def run(
    embedder: Embedder, texts: list[str], truth: list[str], rival: bool
) -> tuple[Matrix, float]:
    """Scores of every method on one embedder's vectors; the vectors and texts per second."""
    start = time.perf_counter()
    vectors = embedder.embed(texts)
    rate = len(texts) / (time.perf_counter() - start)
    print(f"{embedder.name}: embedded {len(texts)} texts ({rate:.0f} texts/s)")
    seconds = []
    for _ in range(2):  # as for BERTopic, the second run is timed
        start = time.perf_counter()
        found = discover(vectors, ThemeSettings())
        keywords(texts, found.labels, len(found.centroids))
        seconds.append(time.perf_counter() - start)
    ours = seconds[1]
    _scores("productops (with c-TF-IDF keywords)", truth, found.labels, ours)
    print(f"  productops discovery + keywords: first {seconds[0]:.2f} s, second {ours:.2f} s")
    start = time.perf_counter()
    reduced = reduce_outliers(vectors, found, 0.0)
    _scores("productops, outliers reduced", truth, reduced.labels, time.perf_counter() - start)
    if rival and (theirs := bertopic(texts, vectors, truth)) is not None:
        print(f"  clustering time BERTopic / productops: {theirs / ours:.1f}x (target >= 3x)")
    start = time.perf_counter()
    kmeans = KMeans(n_clusters=len(set(truth)), n_init=1, random_state=0).fit(vectors)
    _scores("k-means told k (baseline)", truth, kmeans.labels_, time.perf_counter() - start)
    new = vectors[np.random.default_rng(0).integers(0, len(vectors), 1000)]
    start = time.perf_counter()
    assign(new, found.centroids, ThemeSettings().min_similarity)
    took = time.perf_counter() - start
    print(f"  assign 1,000 new items to {len(found.centroids)} themes: {took:.4f} s")
    return vectors, rate


def scaled(vectors: Matrix, count: int, rate: float) -> None:
    """Discovery on `count` vectors (the given ones repeated with a little noise, renormalised)
    and the projected time from `count` distinct raw texts to themes at `rate` texts/s."""
    rng = np.random.default_rng(0)
    many = vectors[rng.integers(0, len(vectors), count)]
    many = normalise(many + rng.normal(0, 0.02, many.shape).astype(np.float32))
    start = time.perf_counter()
    found = discover(many)
    seconds = time.perf_counter() - start
    print(
        f"discovery on {count:,} vectors of {many.shape[1]} dimensions: {seconds:.1f} s, "
        f"{len(found.centroids)} themes, outliers {found.outlier_share:.1%}; "
        f"{count:,} distinct raw texts to themes, projected: {count / rate + seconds:.0f} s"
    )


def demo_texts(count: int) -> list[str]:
    """`count` demo feedback texts, each with a random planted theme (or none) and language."""
    rng = np.random.default_rng(0)
    theme = np.where(rng.random(count) < 0.65, rng.integers(0, len(THEMES), count), -1)
    return [str(t) for t in render(rng, theme, rng.integers(0, len(LANGUAGES), count)).to_pylist()]


def distinct_texts(texts: list[str], count: int) -> list[str]:
    """`count` distinct texts, each two of `texts` joined (about twice as long as one)."""
    pairs = np.random.default_rng(0).choice(len(texts) ** 2, count, replace=False)
    return [f"{texts[p // len(texts)]} {texts[p % len(texts)]}" for p in pairs.tolist()]


def short_texts(texts: list[str], count: int) -> list[str]:
    """`count` distinct texts as long as one of `texts`: the first half of one text's words
    followed by the second half of another's (the pairs are drawn without repeats)."""
    words = [t.split() for t in texts]
    heads = [" ".join(w[: len(w) // 2]) for w in words]
    tails = [" ".join(w[len(w) // 2 :]) for w in words]
    pairs = np.random.default_rng(0).choice(len(texts) ** 2, count * 2, replace=False).tolist()
    made = dict.fromkeys(f"{heads[p // len(texts)]} {tails[p % len(texts)]}".strip() for p in pairs)
    return list(made)[:count]


def through_workspace(name: str, texts: list[str], folder: Path) -> None:
    """Raw texts to themes as a user runs it, timed per command: `productops init`, `feedback
    import generic` of a CSV (redaction, language, landing) and `feedback themes discover`
    (embedding, with identical texts embedded once through the cache, and discovery)."""
    workspace = folder / "bench-themes"
    shutil.rmtree(workspace, ignore_errors=True)
    csv_file = folder / "bench-themes.csv"
    with csv_file.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "text", "created_at"])
        writer.writerows((f"f{i}", t, "2026-03-01T10:00:00Z") for i, t in enumerate(texts))
    cli = str(Path(sys.executable).with_name("productops"))
    steps = [
        ([cli, "init", workspace.name], folder),
        ([cli, "feedback", "import", "generic", str(csv_file)], workspace),
        ([cli, "feedback", "themes", "discover", "-f", "csv"], workspace),
    ]
    took = []
    for command, where in steps:
        start = time.perf_counter()
        subprocess.run(command, cwd=where, check=True, capture_output=True)
        took.append(time.perf_counter() - start)
    total = sum(took)
    print(
        f"raw text to themes through a workspace: {len(texts):,} {name} "
        f"({len(set(texts)):,} distinct): import {took[1]:.0f} s, discover {took[2]:.0f} s, "
        f"total {total:.0f} s (budget 300 s, ratio {total / 300:.2f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--scale", type=int, default=100_000, help="items for the speed run")
    parser.add_argument("--end-to-end", type=int, default=0, help="demo texts to run whole")
    parser.add_argument("--distinct", type=int, default=0, help="distinct texts to run whole")
    parser.add_argument("--short", type=int, default=0, help="distinct short texts to run whole")
    parser.add_argument("--dir", type=Path, default=Path("/tmp"), help="for the workspace runs")
    parser.add_argument("--no-bertopic", action="store_true", help="skip BERTopic")
    args = parser.parse_args()
    with args.data.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    texts, truth = [r["text"] for r in rows], [r["intent"] for r in rows]
    print(f"{len(texts)} texts, {len(set(truth))} intents; load average {os.getloadavg()[0]:.1f}")
    embedders = [minilm_embedder()] if minilm_dir() is not None else []
    runs = [
        run(embedder, texts, truth, rival=i == 0 and not args.no_bertopic)
        for i, embedder in enumerate([*embedders, fallback_embedder()])
    ]
    scaled(runs[0][0], args.scale, runs[0][1])
    if minilm_dir() is not None:
        against_numpy("CLINC150 texts", texts)
        against_numpy("CLINC utterance pairs", distinct_texts(texts, len(texts)))
    if args.end_to_end:
        through_workspace("demo texts", demo_texts(args.end_to_end), args.dir)
    if args.distinct:
        through_workspace("CLINC utterance pairs", distinct_texts(texts, args.distinct), args.dir)
    if args.short:
        through_workspace("CLINC half-and-half texts", short_texts(texts, args.short), args.dir)
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
