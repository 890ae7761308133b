"""Feedback ingest: redaction, language detection and the whole preparation, on demo-like texts.

    .venv/bin/python bench/bench_feedback_ingest.py [--rows 100000]

- Language: accuracy and speed of `detect_languages` (20 languages with
  priors) on 19,000 texts drawn as the demo draws them, against py3langid's
  stock classifier (all 97 languages, no priors) on the same texts.
- Redaction: `redact_all` (Python `re`) over `--rows` texts, a few with
  e-mails, phones and card numbers, against DuckDB's `regexp_replace` of the
  same three patterns (without the Luhn and date checks) over the same column.
- The whole `prepare_feedback` (redact, hash, detect, match) over `--rows` rows.
"""

from __future__ import annotations

import argparse
import time

import duckdb
import numpy as np
import pyarrow as pa
from py3langid.langid import MODEL_FILE, LanguageIdentifier  # type: ignore[import-untyped]

from productops.demo.text import LANGUAGES, THEMES, render
from productops.ingest.feedback import prepare_feedback
from productops.ingest.language import detect_languages
from productops.ingest.privacy import redact_all


def texts(n: int, seed: int = 1) -> tuple[list[str], list[str]]:
    """`n` demo texts (86% en, 7% de, 4% es, 3% fr) and their languages; every 50th with contacts."""
    rng = np.random.default_rng(seed)
    language = rng.choice(len(LANGUAGES), n, p=(0.86, 0.07, 0.04, 0.03))
    drawn = [str(t) for t in render(rng, rng.integers(-1, len(THEMES), n), language).to_pylist()]
    for i in range(0, n, 50):
        drawn[i] += f" Mail me at user{i}@acme.io, +49 30 {1000000 + i}, card 4111 1111 1111 1111."
    return drawn, [LANGUAGES[i] for i in language]


def timed(label: str, count: int, run: object) -> float:
    assert callable(run)
    started = time.perf_counter()
    run()
    seconds = time.perf_counter() - started
    print(f"{label}: {seconds:.2f} s, {count / seconds:,.0f} a second")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    rows = parser.parse_args().rows

    sample, truth = texts(19_000)
    detect_languages(["warm up"])
    found: list[str | None] = []
    ours = timed(
        "detect_languages, 19,000 texts", 19_000, lambda: found.extend(detect_languages(sample))
    )
    stock = LanguageIdentifier.from_model_file(MODEL_FILE)
    plain: list[str] = []
    theirs = timed(
        "py3langid stock, 19,000 texts",
        19_000,
        lambda: plain.extend(stock.classify(t)[0] for t in sample),
    )
    for name, got in (("productops", found), ("stock", plain)):
        accuracy = np.mean([a == b for a, b in zip(got, truth, strict=True)])
        print(f"  accuracy {name}: {accuracy:.4f}")
    print(f"  speed ratio productops/stock: {theirs / ours:.2f}")

    many, _ = texts(rows, seed=2)
    python = timed(f"redact_all, {rows:,} texts", rows, lambda: redact_all(many))
    con = duckdb.connect()
    con.register("t", pa.table({"text": many}))
    sql = (
        "SELECT regexp_replace(regexp_replace(regexp_replace(text, "
        r"'[\w.%+-]+@([A-Za-z0-9-]+\.)+[A-Za-z]{2,}', '[email]', 'g'), "
        r"'[2-6]\d{3}([ -]?\d){9,15}', '[card]', 'g'), "
        r"'\+\d[\d .()-]{5,20}\d', '[phone]', 'g') FROM t"
    )
    duck = timed(f"DuckDB regexp_replace, {rows:,} texts", rows, lambda: con.sql(sql).fetchall())
    print(f"  ratio DuckDB/Python: {duck / python:.2f}")

    data = pa.table({"id": [str(i) for i in range(rows)], "text": many})
    people = [f"user{i % 5000}@acme.io" for i in range(rows)]
    timed(
        f"prepare_feedback, {rows:,} rows",
        rows,
        lambda: prepare_feedback(data, "salt", people, {"acme.io": "acc-1"}),
    )


if __name__ == "__main__":
    main()
