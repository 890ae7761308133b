"""Sentiment of feedback that reads product complaints and requests right (docs/customer-insights.md).

Read in `READ_LANGUAGES`, the languages whose macro-F1 on held-out labelled text is well
above chance (bench/bench_sentiment.py). English: VADER (its lexicon ships in the
`vaderSentiment` wheel) with product words added (crash, bug, nightmare, ...). German,
French and Spanish: a shipped polarity lexicon per language (`lexicons.py`) under product
stems, scored the way VADER scores (sum of word valences, negation flips, squashed to
-1..1). A text whose language was not detected (too short) is read as English. Any other
language is not read: label `unknown`, score None, never `neutral`.

An opening greeting or closing thanks is not scored. Two cue lists then decide the label:
a product problem (crashes, errors, "stopped working", "no longer", ...) is `negative`
whatever the politeness around it; otherwise a request ("please add", "would love", "is ...
on the roadmap", ...) is `request`, scored at most 0 (asking is not praise).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Literal

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from productops.pillars.customer.sentiment.cues import (
    COURTESY,
    EN_WORDS,
    NEGATIONS,
    PROBLEMS,
    REQUESTS,
)
from productops.pillars.customer.sentiment.lexicons import valence

if TYPE_CHECKING:
    import ibis.expr.types as ir

__all__ = [
    "LABELS",
    "READ_LANGUAGES",
    "Label",
    "Reading",
    "is_read",
    "read_sentiment",
    "theme_sentiment",
]

Label = Literal["negative", "neutral", "positive", "request", "unknown"]
LABELS: tuple[Label, ...] = ("negative", "neutral", "positive", "request", "unknown")
READ_LANGUAGES = ("en", "de", "fr", "es")
THRESHOLD = 0.05  # VADER's: |compound| below it is neutral
PROBLEM_SCORE = -0.3  # the highest score a text with a product problem gets
# Positive words are the commoner (a review that pans a book still praises bits of it):
# their lexicon valences count x 0.8 in German, French and Spanish; chosen on the tune
# halves of bench/bench_sentiment.py's review sets.
POSITIVE_WEIGHT = 0.8


@dataclass(frozen=True)
class Reading:
    """How a text reads: `score` from -1 (negative) to 1 (positive), None when not read
    (label `unknown`), and its label."""

    score: float | None
    label: Label


def _fold(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in folded if not unicodedata.combining(c))


@cache
def _analyzer() -> SentimentIntensityAnalyzer:
    analyzer = SentimentIntensityAnalyzer()
    analyzer.lexicon.update(EN_WORDS)
    return analyzer


@cache
def _pattern(table: str, language: str) -> re.Pattern[str]:
    source = {"problems": PROBLEMS, "requests": REQUESTS}[table]
    return re.compile(rf"\b({source[language]})")


_TOKEN = re.compile(r"[\w']+")


def _lexicon_score(folded: str, language: str) -> float:
    """VADER's compound for a non-English text: valences (positive ones x `POSITIVE_WEIGHT`)
    summed, a negation up to three words before flips and damps (x -0.74), the sum squashed
    to -1..1 as VADER does."""
    negation = re.compile(rf"^({NEGATIONS[language]})$")
    tokens = _TOKEN.findall(folded)
    total = 0.0
    for i, token in enumerate(tokens):
        value = valence(token, language)
        value *= POSITIVE_WEIGHT if value > 0 else 1.0
        if value and any(negation.match(t) for t in tokens[max(0, i - 3) : i]):
            value *= -0.74
        total += value
    return total / math.sqrt(total * total + 15)


def _reading(text: str, language: str | None) -> Reading:
    lang = language or "en"
    if lang not in READ_LANGUAGES:
        return Reading(None, "unknown")
    folded = _fold(text)
    plain = COURTESY.sub(" ", text if lang == "en" else folded)
    if lang == "en":
        score = float(_analyzer().polarity_scores(plain)["compound"])
    else:
        score = _lexicon_score(plain, lang)
    if _pattern("problems", lang).search(folded):
        return Reading(round(min(score, PROBLEM_SCORE), 4), "negative")
    if _pattern("requests", lang).search(folded):
        return Reading(round(min(score, 0.0), 4), "request")
    label: Label = (
        "positive" if score >= THRESHOLD else "negative" if score <= -THRESHOLD else "neutral"
    )
    return Reading(round(score, 4), label)


def read_sentiment(
    texts: Sequence[str], languages: Sequence[str | None] | None = None
) -> list[Reading]:
    """The reading of each text; `languages` (ISO 639-1, None for undetected) default to
    English.

    >>> [r.label for r in read_sentiment(["The app keeps crashing", "Please add dark mode"])]
    ['negative', 'request']
    >>> read_sentiment(["Het werkt niet"], ["nl"])
    [Reading(score=None, label='unknown')]
    """
    langs = languages if languages is not None else [None] * len(texts)
    return [_reading(t, lang) for t, lang in zip(texts, langs, strict=True)]


def is_read(label: ir.StringValue) -> ir.BooleanValue:
    """Whether a stored `sentiment_label` is a reading (not null, not `unknown`)."""
    return label.notnull() & (label != "unknown")


def theme_sentiment(feedback: ir.Table, feedback_theme: ir.Table) -> ir.Table:
    """Sentiment per theme over its feedback (repeats marked `duplicate_of` left out).

    Returns `theme_id, items, read, read_share, mean_sentiment, negative, neutral, positive,
    request, unknown, negative_share`: `read` counts the items whose sentiment was read,
    `read_share` is read / items (0-1), `negative_share` negative / read (0-1, null when
    none was read); `unknown` counts the items in a language not read.
    """
    f = feedback.filter(feedback.duplicate_of.isnull())
    j = feedback_theme.join(f, feedback_theme.feedback_id == f.id)
    label = j.sentiment_label
    counts = {name: (label == name).sum() for name in LABELS}
    per_theme = j.group_by("theme_id").aggregate(
        items=j.count(),
        read=is_read(label).sum(),
        mean_sentiment=j.sentiment.mean(),
        **counts,
    )
    return per_theme.mutate(
        read_share=per_theme.read / per_theme.items,
        negative_share=per_theme.negative / per_theme.read.nullif(0),
    ).order_by("theme_id")
