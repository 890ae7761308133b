"""Theme discovery on every labelled set in ../shared/eval and the demo's planted themes, beside
BERTopic and k-means, with the same defaults for every set (no per-set parameter).

Sets (issue 15): CLINC150 (4,500 utterances, 150 intents), HWU64 (1,076 utterances, 64
intents), StackOverflow titles (20,000 titles, 20 topics) and 4,000 English demo texts each
with one of the demo's 12 planted themes. CLINC150 and HWU64 are the sets the defaults were
tuned on; StackOverflow and the demo are held out (docs/themes.md). A set whose file is
absent is said so and skipped. Per set, on the same MiniLM vectors: productops (`discover`
with `ThemeSettings()`), its outliers reduced, BERTopic 0.17 (defaults, then
`reduce_outliers(strategy="embeddings")`) and k-means told the true number of labels: NMI,
ARI (outliers one class), outlier share, number of themes (and its ratio to the labels'),
seconds; then the theme groups (`group_themes` with `GroupSettings()`): their number and
themes per group, the largest group's share of the items beside the largest label's, and
NMI and ARI of groups and of themes against the labels and against coarse labels where the set
has them (HWU64: the scenario of its `scenario_intent` labels, 18; StackOverflow: its 20 tags,
coarser than the themes found). Goals: NMI and ARI above BERTopic's (outliers reduced),
0.7-1.5x as many themes as labels, at most 10% outliers; no group over 25% of the items unless
a label is, on StackOverflow the groups' NMI at least the themes', on CLINC150 and HWU64 at
most 0.6x as many groups as themes, and on HWU64 the groups' NMI against the scenarios at
least the themes'.

Also (issue 4): the fallback embedder on every set; assigning 1,000 new items; discovery on
100,000 vectors (--scale) and the projected raw-text-to-themes time for 100k distinct texts;
MiniLM in ONNX Runtime against the same pass in NumPy (minilm_numpy.py); run whole from raw
text: --end-to-end N demo feedback texts (4 languages), --distinct N distinct texts (two CLINC
utterances joined: about 22 tokens, the demo 18), --short N distinct CLINC-length texts.

BERTopic is not a dependency of productops; install it for this benchmark only, without its
torch and sentence-transformers requirements (the embeddings are passed in):
`.venv/bin/pip install --no-deps "bertopic==0.17.*" umap-learn hdbscan pynndescent numba llvmlite tqdm`
(or with `--target DIR` and DIR on PYTHONPATH, to keep the venv as it is). Its UMAP is
unseeded, so its figures vary a little from run to run; its first fit, on HWU64, is a
warm-up (numba compiling) and is not timed.

    .venv/bin/python bench/bench_themes.py [--eval ../shared/eval] [--vectors DIR]
        [--end-to-end 100000] [--distinct 100000] [--short 100000] [--no-bertopic]
        [--quality-only]
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
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
from productops.pillars.customer.groups import group_themes
from productops.pillars.customer.labels import keywords
from productops.pillars.customer.themes import (
    ThemeSettings,
    assign,
    discover,
    reduce_outliers,
)

EVAL = Path(__file__).resolve().parents[2] / "shared" / "eval"
FILES = {  # set name: file in EVAL, label column
    "clinc150": ("clinc150_test.csv", "intent"),
    "hwu64": ("hwu64_test.csv", "category"),
    "stackoverflow": ("stackoverflow_titles.csv", "category"),
}
TUNED = ("clinc150", "hwu64")  # the sets the defaults were chosen on; the others are held out


def _scenario(label: str) -> str:
    return label.split("_")[0]  # HWU64's labels are scenario_intent


def _itself(label: str) -> str:
    return label


COARSE: dict[str, tuple[str, Callable[[str], str]]] = {  # set: its coarse labels' kind and rule
    "hwu64": ("scenarios", _scenario),
    "stackoverflow": ("tags", _itself),  # 20 tags, coarser than the themes found
}


@dataclass
class Labelled:
    """One evaluation set: its texts and each text's true label."""

    name: str
    texts: list[str]
    truth: list[str]

    @property
    def role(self) -> str:
        return "tuned" if self.name in TUNED else "held out"


@dataclass
class Score:
    """One method's figures on one set."""

    nmi: float
    ari: float
    outliers: float
    themes: int
    seconds: float


def _score(name: str, truth: list[str], labels: np.ndarray, seconds: float) -> Score:
    found = Score(
        float(normalized_mutual_info_score(truth, labels)),
        float(adjusted_rand_score(truth, labels)),
        float(np.mean(labels == -1)),
        len(set(labels.tolist()) - {-1}),
        seconds,
    )
    print(
        f"  {name:<36} NMI {found.nmi:.3f}  ARI {found.ari:.3f}  outliers {found.outliers:6.1%}  "
        f"themes {found.themes:4d} ({found.themes / len(set(truth)):.2f}x)  {seconds:6.2f} s"
    )
    return found


def labelled_sets(folder: Path) -> list[Labelled]:
    """The sets of `folder` that are present (absent ones said so), then the demo's."""
    sets = []
    for name, (file, column) in FILES.items():
        if not (folder / file).exists():
            print(f"{name}: {folder / file} absent, not run")
            continue
        with (folder / file).open(encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        sets.append(Labelled(name, [r["text"] for r in rows], [r[column] for r in rows]))
    rng = np.random.default_rng(0)
    planted = rng.integers(0, len(THEMES), 4000)
    texts = render(rng, planted, np.zeros(len(planted), dtype=np.int64)).to_pylist()
    sets.append(Labelled("demo", [str(t) for t in texts], [THEMES[p].name for p in planted]))
    return sets


def vectors_of(embedder: Embedder, data: Labelled, cache: Path | None) -> Matrix:
    """The set's vectors, kept in `cache` (one .npy per set and model) when given."""
    model = embedder.name.replace("/", "_")
    file = cache / f"{data.name}-{model}.npy" if cache else None
    if file is not None and file.exists():
        return np.asarray(np.load(file), dtype=np.float32)
    start = time.perf_counter()
    vectors = embedder.embed(data.texts)
    rate = len(data.texts) / (time.perf_counter() - start)
    print(f"  {embedder.name}: embedded {len(data.texts):,} texts ({rate:.0f} texts/s)")
    if file is not None:
        file.parent.mkdir(parents=True, exist_ok=True)
        np.save(file, vectors)
    return vectors


def bertopic(data: Labelled, vectors: Matrix) -> Score | None:
    """BERTopic's defaults on the given vectors, then its outliers reduced by embeddings; the
    reduced figures (seconds: the fit), or None when BERTopic is not installed."""
    try:
        from bertopic import BERTopic
    except ImportError as exc:
        print(f"  BERTopic not run: {exc} (install: see this file's docstring)")
        return None
    start = time.perf_counter()
    model = BERTopic()
    topics, _ = model.fit_transform(data.texts, vectors)
    seconds = time.perf_counter() - start
    _score("BERTopic 0.17 (defaults)", data.truth, np.asarray(topics), seconds)
    reduced = model.reduce_outliers(data.texts, topics, strategy="embeddings", embeddings=vectors)
    return _score("BERTopic, outliers reduced", data.truth, np.asarray(reduced), seconds)


def warm_bertopic(data: Labelled, vectors: Matrix) -> None:
    """One untimed fit, so that numba's compiling is not counted in the timed ones."""
    try:
        from bertopic import BERTopic
    except ImportError:
        return
    start = time.perf_counter()
    BERTopic().fit_transform(data.texts, vectors)
    print(
        f"BERTopic warm-up fit on {data.name} (numba compiling): {time.perf_counter() - start:.0f} s"
    )


@dataclass
class Grouping:
    """The theme groups' figures on one set (NMI and ARI of items in no theme as one class)."""

    groups: int
    themes: int
    largest: float  # the largest group's share of the items
    largest_label: float  # the largest label's share of the items
    nmi: float
    ari: float
    coarse: str  # what the coarse labels are, "" when the set has none
    coarse_scores: tuple[float, float, float, float]  # NMI, ARI of the groups, of the themes

    def row(self, name: str) -> str:
        coarse = "| - | - | -"
        if self.coarse:
            group_nmi, group_ari, theme_nmi, theme_ari = self.coarse_scores
            coarse = (
                f"| {self.coarse} | {group_nmi:.3f} / {group_ari:.3f} | "
                f"{theme_nmi:.3f} / {theme_ari:.3f}"
            )
        return (
            f"| {name} | {self.themes} | {self.groups} ({self.groups / self.themes:.2f}x; "
            f"{self.themes / self.groups:.1f} themes each) | {self.largest:.1%} "
            f"({self.largest_label:.1%}) | {self.nmi:.3f} / {self.ari:.3f} {coarse} |"
        )


def _nmi_ari(truth: list[str], found: np.ndarray) -> tuple[float, float]:
    """NMI and ARI of `found` (item labels) against `truth`."""
    nmi = normalized_mutual_info_score(truth, found)
    return float(nmi), float(adjusted_rand_score(truth, found))


def groups_of(data: Labelled, vectors: Matrix, labels: np.ndarray, count: int) -> Grouping:
    """The theme groups' figures (items of no theme are in no group)."""
    of_theme = group_themes(vectors, labels, count)
    items = np.where(labels >= 0, of_theme[np.maximum(labels, 0)], -1)
    largest = np.bincount(items[items >= 0]).max() / len(items) if (items >= 0).any() else 0.0
    label_share = max(data.truth.count(t) for t in set(data.truth)) / len(data.truth)
    coarse, scores = "", (np.nan,) * 4
    if data.name in COARSE:
        kind, of_label = COARSE[data.name]
        truth = [of_label(label) for label in data.truth]
        coarse = f"{len(set(truth))} {kind}"
        scores = (*_nmi_ari(truth, items), *_nmi_ari(truth, labels))
    found = Grouping(
        int(items.max()) + 1,
        count,
        float(largest),
        label_share,
        *_nmi_ari(data.truth, items),
        coarse,
        scores,
    )
    print(f"  theme groups: {found.row(data.name)}")
    return found


def evaluate(data: Labelled, vectors: Matrix, rival: bool) -> tuple[str, str]:
    """Every method on one set's vectors; Markdown table rows of the themes' goals and of the
    groups'."""
    truth = data.truth
    start = time.perf_counter()
    found = discover(vectors, ThemeSettings())
    keywords(data.texts, found.labels, len(found.centroids))
    ours = _score("productops (with keywords)", truth, found.labels, time.perf_counter() - start)
    start = time.perf_counter()
    reduced = reduce_outliers(vectors, found, 0.0)
    _score("productops, outliers reduced", truth, reduced.labels, time.perf_counter() - start)
    theirs = bertopic(data, vectors) if rival else None
    start = time.perf_counter()
    kmeans = KMeans(n_clusters=len(set(truth)), n_init=1, random_state=0).fit(vectors)
    _score("k-means told k (baseline)", truth, kmeans.labels_, time.perf_counter() - start)
    groups = groups_of(data, vectors, found.labels, len(found.centroids))
    rivals = f"{theirs.nmi:.3f} | {theirs.ari:.3f} | {theirs.themes}" if theirs else "- | - | -"
    return (
        f"| {data.name} ({data.role}) | {len(set(truth))} | {ours.nmi:.3f} | {ours.ari:.3f} | "
        f"{ours.outliers:.1%} | {ours.themes} ({ours.themes / len(set(truth)):.2f}x) | "
        f"{rivals} |"
    ), groups.row(f"{data.name} ({data.role})")


def run(embedder: Embedder, sets: list[Labelled], cache: Path | None, rival: bool) -> None:
    """Every set on one embedder's vectors, then the table of the goals."""
    rows, group_rows = [], []
    vectors = {data.name: vectors_of(embedder, data, cache) for data in sets}
    if rival and (smallest := min(sets, key=lambda d: len(d.texts))):
        warm_bertopic(smallest, vectors[smallest.name])
    for data in sets:
        print(
            f"{data.name} ({data.role}), {embedder.name}: {len(data.texts):,} texts, "
            f"{len(set(data.truth))} labels; load average {os.getloadavg()[0]:.1f}"
        )
        row, group_row = evaluate(data, vectors[data.name], rival)
        rows.append(row)
        group_rows.append(group_row)
    print(f"\n{embedder.name}, same defaults on every set:\n")
    print("| set | labels | NMI | ARI | outliers | themes | BERTopic NMI | ARI | themes |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    print("\n".join(rows), "\n")
    print(
        "| set | themes | groups | largest group (label) | groups NMI / ARI | coarse labels "
        "| groups NMI / ARI | themes NMI / ARI |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    print("\n".join(group_rows), "\n")


def timings(embedder: Embedder, texts: list[str], vectors: Matrix) -> None:
    """Discovery plus keywords timed twice (the second counts) and assigning 1,000 new items."""
    seconds = []
    for _ in range(2):
        start = time.perf_counter()
        found = discover(vectors, ThemeSettings())
        keywords(texts, found.labels, len(found.centroids))
        seconds.append(time.perf_counter() - start)
    print(
        f"{embedder.name} discovery + keywords on {len(texts):,} texts: first "
        f"{seconds[0]:.2f} s, second {seconds[1]:.2f} s"
    )
    new = vectors[np.random.default_rng(0).integers(0, len(vectors), 1000)]
    start = time.perf_counter()
    assign(new, found.centroids, ThemeSettings().min_similarity)
    took = time.perf_counter() - start
    print(f"  assign 1,000 new items to {len(found.centroids)} themes: {took:.4f} s")


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
    parser.add_argument("--eval", type=Path, default=EVAL, help="folder of the labelled sets")
    parser.add_argument("--vectors", type=Path, default=None, help="keep the vectors here")
    parser.add_argument("--scale", type=int, default=100_000, help="items for the speed run")
    parser.add_argument("--end-to-end", type=int, default=0, help="demo texts to run whole")
    parser.add_argument("--distinct", type=int, default=0, help="distinct texts to run whole")
    parser.add_argument("--short", type=int, default=0, help="distinct short texts to run whole")
    parser.add_argument("--dir", type=Path, default=Path("/tmp"), help="for the workspace runs")
    parser.add_argument("--no-bertopic", action="store_true", help="skip BERTopic")
    parser.add_argument("--quality-only", action="store_true", help="only the per-set tables")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f}")
    sets = labelled_sets(args.eval)
    embedders = [minilm_embedder()] if minilm_dir() is not None else []
    for i, embedder in enumerate([*embedders, fallback_embedder()]):
        run(embedder, sets, args.vectors, rival=i == 0 and not args.no_bertopic)
    if args.quality_only:
        return
    first = embedders[0] if embedders else fallback_embedder()
    clinc = next((d for d in sets if d.name == "clinc150"), sets[-1])
    start = time.perf_counter()
    vectors = first.embed(clinc.texts)
    rate = len(clinc.texts) / (time.perf_counter() - start)
    timings(first, clinc.texts, vectors)
    scaled(vectors, args.scale, rate)
    texts = clinc.texts
    if minilm_dir() is not None:
        against_numpy(f"{clinc.name} texts", texts)
        against_numpy(f"{clinc.name} utterance pairs", distinct_texts(texts, len(texts)))
    if args.end_to_end:
        through_workspace("demo texts", demo_texts(args.end_to_end), args.dir)
    if args.distinct:
        through_workspace("CLINC utterance pairs", distinct_texts(texts, args.distinct), args.dir)
    if args.short:
        through_workspace("CLINC half-and-half texts", short_texts(texts, args.short), args.dir)
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
