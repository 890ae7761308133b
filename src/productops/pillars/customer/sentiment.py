"""Sentiment of feedback that reads product complaints and requests right (docs/customer-insights.md).

English: VADER (its lexicon ships in the `vaderSentiment` wheel) with product words added
(crash, bug, slow, lag, ...). German, Spanish and French: a small lexicon of the same kind,
scored the way VADER scores (sum of word valences, negation flips, squashed to -1..1).
Other languages are read with the English rules. An opening greeting or closing thanks is
not scored. Two cue lists then decide the label: a product problem (crashes, errors,
"stopped working", "no longer", ...) is `negative` whatever the politeness around it;
otherwise a request ("please add", "would love", "is ... on the roadmap", ...) is
`request`, scored at most 0 (asking is not praise).
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

if TYPE_CHECKING:
    import ibis.expr.types as ir

__all__ = ["LABELS", "Label", "Reading", "read_sentiment", "theme_sentiment"]

Label = Literal["negative", "neutral", "positive", "request"]
LABELS: tuple[Label, ...] = ("negative", "neutral", "positive", "request")
THRESHOLD = 0.05  # VADER's: |compound| below it is neutral
PROBLEM_SCORE = -0.3  # the highest score a text with a product problem gets

# Product words VADER's social-media lexicon lacks or under-weights (valence -4..4).
_EN_WORDS = {
    "crash": -2.5,
    "crashes": -2.5,
    "crashed": -2.5,
    "crashing": -2.5,
    "bug": -2.0,
    "bugs": -2.0,
    "buggy": -2.2,
    "slow": -1.8,
    "slower": -1.8,
    "sluggish": -1.8,
    "laggy": -1.8,
    "lag": -1.5,
    "freezes": -2.0,
    "frozen": -1.5,
    "glitch": -1.8,
    "unusable": -2.5,
    "outage": -2.5,
    "irrelevant": -1.5,
    "expensive": -1.5,
    "overpriced": -2.0,
    "stale": -1.2,
    "late": -1.0,
    "delays": -1.2,
    "confusing": -1.5,
    "lost": -1.5,
}

# Per language: word-stem valences (accent-folded; a token matches a stem it starts with),
# product-problem cues and request cues (regular expressions on the folded text).
_STEMS = {
    "de": {
        "absturz": -2.5,
        "sturzt": -2.5,
        "langsam": -1.8,
        "fehler": -2.0,
        "kaputt": -2.2,
        "verwirrend": -1.5,
        "unklar": -1.0,
        "irrelevant": -1.5,
        "verspatet": -1.2,
        "ewig": -1.0,
        "teuer": -1.5,
        "falsch": -1.5,
        "kaum": -0.8,
        "toll": 2.5,
        "super": 2.5,
        "gut": 1.9,
        "begeistert": 2.5,
        "danke": 1.9,
        "hilfreich": 1.8,
        "prima": 2.0,
        "funktioniert": 0.8,
    },
    "es": {
        "lento": -1.8,
        "tarda": -1.2,
        "muchisimo": -0.5,
        "error": -2.0,
        "confus": -1.5,
        "retraso": -1.2,
        "demasiado": -0.6,
        "falla": -2.0,
        "caro": -1.5,
        "gran": 2.0,
        "gracias": 1.9,
        "encanta": 3.0,
        "excelente": 3.0,
        "genial": 2.5,
        "util": 1.5,
        "funciona": 0.8,
    },
    "fr": {
        "plante": -2.5,
        "planter": -2.5,
        "lent": -1.8,
        "erreur": -2.0,
        "deroutant": -1.5,
        "confus": -1.5,
        "retard": -1.2,
        "trop": -0.6,
        "hausse": -1.0,
        "fausse": -1.5,
        "mauvais": -1.5,
        "faux": -1.5,
        "super": 2.5,
        "merci": 1.9,
        "adore": 3.0,
        "excellent": 3.0,
        "genial": 2.5,
        "parfait": 2.8,
        "apprecie": 2.0,
        "fonctionne": 0.8,
    },
}
_NEGATIONS = {
    "en": r"not|no|never|n't",
    "de": r"nicht|kein|keine|keinen|nie",
    "es": r"no|nunca|ni",
    "fr": r"ne|n|pas|jamais|plus",
}
_PROBLEMS = {
    "en": r"crash\w*|bugs?\b|buggy|broken|errors?\b|fail(s|ed|ing|ure)?\b|slow\w*|freez\w*|"
    r"frozen|glitch\w*|unusable|outage|lag(s|ging|gy)?\b|stopped (working|posting|sending|"
    r"syncing|loading)|(does ?n[o']t|not|won'?t) (work|load|open|save|sync)\w*|no longer|"
    r"can'?t|cannot|unable to|wrong|mistake|charged (twice|again)|irrelevant|hopeless|useless|"
    r"confusing|too expensive|(hours|days?|minutes) (late|behind)|arrive\w* .{0,12}late|"
    r"takes? (forever|ages|a day|hours|days|a week)|(seconds|minutes?|hours|forever|ages) (to|before) (load|render|open|"
    r"sync|show)|keeps? (spinning|crashing|failing|loading|freezing|lagging)|gave up|giving up|"
    r"returns? nothing|everything except|problem with|lost|lose\b|competitors? offer|"
    r"(thinking|considering) (of|about) (leaving|cancel\w*|switching)",
    "de": r"sturzt|absturz|abgesturzt|fehler|kaputt|funktioniert nicht|langsam|verspatet|"
    r"hangt|nicht mehr|keine .*mehr|zu teuer|zu hoch|doppelt belastet|falsch|verwirrend|"
    r"irrelevant|ewig|stundenlang|erst am nachsten tag|dauert .{0,20}minuten|\bnie\b|kundigen",
    "es": r"se cierra|se bloquea|error|no funciona|dejo de funcionar|lento|tarda|retraso|"
    r"falla|confus|no sirve|ya no|nunca|dos veces|cancelar",
    "fr": r"plante|planter|erreur|ne fonctionne|ne marche|lent|retard|ne .*plus|"
    r"pas pertinent|deroutant|confus|trop eleve|fausse|jamais|deux fois|partir|resilier|"
    r"met(tent)? .{0,25}(minute|heure|seconde|journee|jour)s? a",
}
_REQUESTS = {
    "en": r"please (add|support|let|integrate|make|allow|provide|consider|bring|give)|"
    r"would (love|like|be (nice|great|helpful|useful))|would make|would do|wish|"
    r"feature request|(can|could) (you|we) (add|get|have|please)|is there a way|roadmap|"
    r"any plans|we (really )?need|we would pay|it would be (nice|great)|(a|an) (\w+ ){1,2}"
    r"would|why not|(is|are) missing|no way to|\blacks?\b|requires?|can only .{0,30}with|"
    r"without (\w+ ){1,3}(is|our|we)\b",
    "de": r"\bbitte\b|wunschen uns|ware .{0,40}(schon|toll|hilfreich|gut|praktisch)|"
    r"gibt es plane|brauchen|benotigen|konnten sie|anbieten|verlangt|erfordert|"
    r"ohne \w+ .{0,30}(konnen|durfen) wir",
    "es": r"por favor|podrian|necesitamos|seria|esta previsto|ayudaria|nos gustaria|"
    r"me gustaria|sin \w+ no podemos",
    "fr": r"merci d'ajouter|serait|nous avons besoin|est-il prevu|pourriez|ferait gagner|"
    r"obligatoire",
}


# An opening greeting or a closing thanks says nothing about the product: not scored.
_POLITE = (
    r"thanks|thank you|please look into it|regards|cheers|hi team|hello|quick note|danke|"
    r"viele grusse|hallo zusammen|gracias|saludos|hola equipo|merci|cordialement|bonjour"
)
_COURTESY = re.compile(rf"^\s*({_POLITE})\s*[!.,:]+\s|\s\W*({_POLITE})\s*[!.]*\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Reading:
    """How a text reads: `score` from -1 (negative) to 1 (positive), and its label."""

    score: float
    label: Label


def _fold(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in folded if not unicodedata.combining(c))


@cache
def _analyzer() -> SentimentIntensityAnalyzer:
    analyzer = SentimentIntensityAnalyzer()
    analyzer.lexicon.update(_EN_WORDS)
    return analyzer


@cache
def _pattern(table: str, language: str) -> re.Pattern[str]:
    source = {"problems": _PROBLEMS, "requests": _REQUESTS}[table]
    return re.compile(rf"\b({source.get(language, source['en'])})")


_TOKEN = re.compile(r"[\w']+")


def _lexicon_score(folded: str, language: str) -> float:
    """VADER's compound for a non-English text: valences summed, a negation up to three
    words before flips and damps (x -0.74), the sum squashed to -1..1 as VADER does."""
    stems = _STEMS[language]
    negation = re.compile(rf"^({_NEGATIONS[language]})$")
    tokens = _TOKEN.findall(folded)
    total = 0.0
    for i, token in enumerate(tokens):
        valence = next((v for s, v in stems.items() if token.startswith(s)), 0.0)
        if valence and any(negation.match(t) for t in tokens[max(0, i - 3) : i]):
            valence *= -0.74
        total += valence
    return total / math.sqrt(total * total + 15)


def _reading(text: str, language: str | None) -> Reading:
    lang = language if language in _STEMS else "en"
    folded = _fold(text)
    plain = _COURTESY.sub(" ", text if lang == "en" else folded)
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
    """The reading of each text; `languages` (ISO 639-1, None for unknown) default to English.

    >>> [r.label for r in read_sentiment(["The app keeps crashing", "Please add dark mode"])]
    ['negative', 'request']
    """
    langs = languages if languages is not None else [None] * len(texts)
    return [_reading(t, lang) for t, lang in zip(texts, langs, strict=True)]


def theme_sentiment(feedback: ir.Table, feedback_theme: ir.Table) -> ir.Table:
    """Sentiment per theme over its feedback (repeats marked `duplicate_of` left out).

    Returns `theme_id, items, scored, mean_sentiment, negative, neutral, positive, request,
    negative_share` (shares of the items with a label).
    """
    f = feedback.filter(feedback.duplicate_of.isnull())
    j = feedback_theme.join(f, feedback_theme.feedback_id == f.id)
    label = j.sentiment_label
    counts = {name: (label == name).sum() for name in LABELS}
    per_theme = j.group_by("theme_id").aggregate(
        items=j.count(),
        scored=label.notnull().sum(),
        mean_sentiment=j.sentiment.mean(),
        **counts,
    )
    share = per_theme.negative / per_theme.scored.nullif(0)
    return per_theme.mutate(negative_share=share).order_by("theme_id")
