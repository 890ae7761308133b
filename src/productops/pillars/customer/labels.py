"""Theme keywords by class-based TF-IDF (as BERTopic's c-TF-IDF) and a short label from them.

A term's weight in a theme is its frequency there (per term in the theme) times
log(1 + average terms per theme / the term's frequency over all themes): words frequent in one
theme and rare elsewhere come first. Terms are words and two-word phrases, lowercase, without
the stop words of English, German, Spanish and French.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

__all__ = ["keywords", "label", "term_counts", "terms", "top_terms"]

_WORD = re.compile(r"[^\W\d_]{2,}", re.UNICODE)

STOP_WORDS = frozenset(
    [
        "a",
        "about",
        "after",
        "again",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "don't",
        "for",
        "from",
        "get",
        "got",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hi",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "just",
        "let",
        "me",
        "more",
        "most",
        "my",
        "no",
        "not",
        "now",
        "of",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "out",
        "over",
        "please",
        "same",
        "she",
        "should",
        "so",
        "some",
        "still",
        "such",
        "than",
        "thank",
        "thanks",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "to",
        "too",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "hello",
        "team",
        "regards",
        "update",
        "note",
        "quick",
        "fyi",
        "us",
        "really",
        "much",
        "every",
        "aber",
        "alle",
        "als",
        "auch",
        "auf",
        "aus",
        "bei",
        "bin",
        "bis",
        "bitte",
        "da",
        "das",
        "dass",
        "dem",
        "den",
        "der",
        "des",
        "die",
        "doch",
        "du",
        "ein",
        "eine",
        "einen",
        "einer",
        "es",
        "für",
        "gibt",
        "hallo",
        "hat",
        "ich",
        "ihr",
        "im",
        "ist",
        "ja",
        "kann",
        "mit",
        "nach",
        "nicht",
        "noch",
        "nur",
        "oder",
        "sehr",
        "sie",
        "sind",
        "und",
        "uns",
        "viele",
        "vom",
        "von",
        "vor",
        "war",
        "wir",
        "wie",
        "wird",
        "zu",
        "zum",
        "zur",
        "danke",
        "grüße",
        "kurze",
        "al",
        "algo",
        "como",
        "con",
        "de",
        "del",
        "el",
        "en",
        "esta",
        "está",
        "este",
        "hay",
        "la",
        "las",
        "le",
        "lo",
        "los",
        "más",
        "mi",
        "muy",
        "nos",
        "para",
        "pero",
        "por",
        "que",
        "qué",
        "se",
        "si",
        "sin",
        "su",
        "sus",
        "también",
        "un",
        "una",
        "y",
        "ya",
        "hola",
        "equipo",
        "gracias",
        "saludos",
        "rápido",
        "au",
        "aux",
        "avec",
        "ce",
        "ces",
        "dans",
        "elle",
        "est",
        "et",
        "il",
        "ils",
        "je",
        "les",
        "leur",
        "mais",
        "merci",
        "mes",
        "mon",
        "ne",
        "nous",
        "ou",
        "par",
        "pas",
        "plus",
        "pour",
        "qu",
        "qui",
        "sa",
        "ses",
        "son",
        "sur",
        "ta",
        "te",
        "tes",
        "une",
        "vous",
        "bonjour",
        "petit",
        "retour",
        "cordialement",
        "très",
        # what openers and closers of support messages say about any theme
        "admin",
        "feedback",
        "look",
        "lot",
        "matters",
    ]
)


def terms(text: str) -> list[str]:
    """Words and two-word phrases of `text`, lowercase, stop words left out."""
    words = [w for w in _WORD.findall(text.lower()) if w not in STOP_WORDS]
    return words + [f"{a} {b}" for a, b in itertools.pairwise(words)]


def term_counts(
    texts: Sequence[str], labels: npt.NDArray[np.int64], count: int
) -> list[Counter[str]]:
    """The `terms` counted over each theme 0..count-1 (label -1, an outlier, is ignored)."""
    per_theme = [Counter[str]() for _ in range(count)]
    for text, theme in zip(texts, labels, strict=True):
        if theme >= 0:
            per_theme[int(theme)].update(terms(text))
    return per_theme


def top_terms(per_theme: Sequence[Counter[str]], top: int = 5) -> list[list[str]]:
    """The `top` c-TF-IDF terms of each theme, from its `term_counts`."""
    overall = Counter[str]()
    for counts in per_theme:
        overall.update(counts)
    average = sum(overall.values()) / max(len(per_theme), 1)
    out: list[list[str]] = []
    for counts in per_theme:
        total = sum(counts.values()) or 1
        weight = {
            t: c / total * np.log1p(average / overall[t]) * (1.2 if " " in t else 1.0)
            for t, c in counts.items()
            if c > 1 or total < 10
        }
        ranked = sorted(weight, key=lambda t: (-weight[t], t))
        chosen: list[str] = []
        for term in ranked:
            if not any(term in c or c in term for c in chosen):
                chosen.append(term)
            if len(chosen) == top:
                break
        out.append(chosen)
    return out


def keywords(
    texts: Sequence[str], labels: npt.NDArray[np.int64], count: int, top: int = 5
) -> list[list[str]]:
    """The `top` c-TF-IDF terms of each theme 0..count-1 (label -1, an outlier, is ignored)."""
    return top_terms(term_counts(texts, labels, count), top)


def label(words: Sequence[str]) -> str:
    """A short label from a theme's keywords: the first two, joined ('dark mode · web app')."""
    if not words:
        return "(no keywords)"
    return " · ".join(words[:2])
