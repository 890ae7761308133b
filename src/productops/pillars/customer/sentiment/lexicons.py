"""Word valences for German, French and Spanish: the shipped lexicons (`lexicons/*.tsv`,
sources and licences in `lexicons/NOTICE.md`) under the product stems of `cues.STEMS`.

A token (lower case, accents folded) takes the valence of the first product stem it starts
with, else its own lexicon entry, else the entry of a word with the same crude stem (the
token less its longest inflection ending in `ENDINGS`: "nervt" finds "nerven", "contenta"
"contento"). Valences are on VADER's scale (-4..4).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from productops.pillars.customer.sentiment.cues import STEMS

__all__ = ["ENDINGS", "valence"]

ENDINGS = {
    "de": ("ungen", "ung", "ende", "end", "est", "en", "em", "er", "es", "et", "st", "e", "n", "s", "t"),
    "fr": ("ements", "ement", "ees", "es", "ee", "s", "e", "x"),
    "es": ("amente", "mente", "as", "os", "es", "a", "o", "s"),
}  # fmt: skip


def _stem(word: str, language: str) -> str:
    for ending in ENDINGS[language]:
        if word.endswith(ending) and len(word) - len(ending) >= 4:
            return word[: -len(ending)]
    return word


@cache
def _lexicon(language: str) -> tuple[dict[str, float], dict[str, float]]:
    """The language's words and the mean valence of each crude stem."""
    path = Path(__file__).with_name("lexicons") / f"{language}.tsv"
    lines = path.read_text(encoding="utf-8").splitlines()
    words = {word: float(value) for word, value in (line.split("\t") for line in lines)}
    by_stem: dict[str, list[float]] = {}
    for word, score in words.items():
        by_stem.setdefault(_stem(word, language), []).append(score)
    return words, {s: sum(v) / len(v) for s, v in by_stem.items()}


def valence(token: str, language: str) -> float:
    """The valence of a folded `token` in `language` (0.0 when no list has it)."""
    for stem, value in STEMS[language].items():
        if token.startswith(stem):
            return value
    words, stems = _lexicon(language)
    found = words.get(token)
    return found if found is not None else stems.get(_stem(token, language), 0.0)
