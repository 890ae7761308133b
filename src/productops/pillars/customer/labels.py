"""Theme keywords by class-based TF-IDF (as BERTopic's c-TF-IDF), and a label: a phrase of the
theme's texts.

A term's weight in a theme is its frequency there (per term in the theme) times
log(1 + average terms per theme / the term's frequency over all themes): words frequent in one
theme and rare elsewhere come first. Terms are words and two-word phrases, lowercase, without
the stop words of English, German, Spanish and French.

A label is a phrase of 1-4 words that stand together in 2 or more of the theme's texts (no
punctuation between them), neither first nor last word a stop word: the one whose content
words weigh most by a like weight over texts, among those whose words a fifth of the theme's
texts hold together: "dark mode", "cancel my reservation". Definitions: docs/themes.md.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

__all__ = [
    "NO_LABEL",
    "PhraseCounts",
    "keywords",
    "phrase_counts",
    "phrase_labels",
    "phrases",
    "term_counts",
    "terms",
    "theme_labels",
    "top_terms",
]

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
        "via",
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
        "beim",
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
        # function words that otherwise start or end labels
        "between",
        "during",
        "keine",
        "kein",
        "keinen",
        "sind",
        "diesen",
        "dieser",
        "dieses",
        "wurde",
        "wurden",
        "mehr",
        "dès",
        "aucun",
        "aucune",
        "été",
        "tiene",
        "tengo",
        "nada",
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
    texts: Sequence[str],
    labels: npt.NDArray[np.int64],
    count: int,
    weights: npt.NDArray[np.int64] | None = None,
) -> list[Counter[str]]:
    """The `terms` counted over each theme 0..count-1 (label -1, an outlier, is ignored); a
    text counts `weights` times (default once), as if repeated."""
    per_theme = [Counter[str]() for _ in range(count)]
    for position, (text, theme) in enumerate(zip(texts, labels, strict=True)):
        if theme >= 0:
            found = Counter(terms(text))
            if weights is not None and (times := int(weights[position])) != 1:
                found = Counter({term: n * times for term, n in found.items()})
            per_theme[int(theme)].update(found)
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


NO_LABEL = "(no label)"
MAX_PHRASE = 4  # words in a label at most
TOGETHER = 0.2  # a label's content words stand together in at least this share of its texts

_TOKEN = re.compile(r"\w+(?:['-]\w+)*", re.UNICODE)
# Phrases never span these: a clause ends at them.
_BREAK = re.compile(
    '[.,;:!?()\\[\\]{}"\u201c\u201d\u00ab\u00bb\u00bf\u00a1/|]+|\\s[-\u2013\u2014]+\\s'
)


def _is_content(token: str) -> bool:
    """Whether a token may start or end a label: it has a letter, and neither it nor its
    longest part around an apostrophe (what's -> what, l'application -> application) is a
    stop word or a single character."""
    core = max(token.split("'"), key=len)
    return (
        len(core) > 1
        and token not in STOP_WORDS
        and core not in STOP_WORDS
        and any(c.isalpha() for c in core)
    )


def _fold(word: str) -> str:
    """A content word with a final plural "s" dropped (points -> point; not "ss", nor a word
    of 3 letters or fewer), so that a word's singular and plural count as one."""
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def phrases(text: str) -> set[str]:
    """The label candidates in `text`: 1-4 words that stand together within one clause,
    lowercase, the first and last a content word (see `_is_content`).

    >>> sorted(phrases("Please add a dark mode!"))
    ['add', 'add a dark', 'add a dark mode', 'dark', 'dark mode', 'mode']
    """
    found: set[str] = set()
    for clause in _BREAK.split(text.lower().replace("\u2019", "'")):
        tokens = _TOKEN.findall(clause)
        content = [_is_content(t) for t in tokens]
        for start, first in enumerate(content):
            if first:
                for end in range(start, min(start + MAX_PHRASE, len(tokens))):
                    if content[end]:
                        found.add(" ".join(tokens[start : end + 1]))
    return found


def _content_words(phrase: str) -> set[str]:
    """The content words of a phrase, plural folded (`_fold`)."""
    return {_fold(t) for t in phrase.split(" ") if _is_content(t)}


@dataclass
class PhraseCounts:
    """What a theme's label is chosen from: in how many of its texts each phrase stands
    (`held`), which of its texts (their positions) hold each content word (`texts_with`,
    plural folded), and how many texts a text at a position stands for when over one
    (`weights`: a distinct text and its repeats). A theme group's are its themes' added."""

    held: Counter[str] = field(default_factory=Counter)
    texts_with: dict[str, set[int]] = field(default_factory=dict)
    weights: dict[int, int] = field(default_factory=dict)

    def add(self, other: PhraseCounts) -> None:
        """Count `other`'s texts too (texts of another theme: positions in the same list)."""
        self.held.update(other.held)
        for word, texts in other.texts_with.items():
            self.texts_with.setdefault(word, set()).update(texts)
        self.weights.update(other.weights)

    def texts(self, positions: Iterable[int]) -> int:
        """How many texts those at `positions` stand for, repeats counted."""
        return sum(self.weights.get(p, 1) for p in positions)


def phrase_counts(
    texts: Sequence[str],
    labels: npt.NDArray[np.int64],
    count: int,
    weights: npt.NDArray[np.int64] | None = None,
) -> list[PhraseCounts]:
    """The `PhraseCounts` of each theme 0..count-1 (label -1, an outlier, is ignored); a text
    counts `weights` times (default once), as if repeated."""
    per_theme = [PhraseCounts() for _ in range(count)]
    for position, (text, theme) in enumerate(zip(texts, labels, strict=True)):
        if theme >= 0:
            counts, found = per_theme[int(theme)], phrases(text)
            times = 1 if weights is None else int(weights[position])
            counts.held.update(dict.fromkeys(found, times))
            if times != 1:
                counts.weights[position] = times
            for word in {_fold(p) for p in found if " " not in p}:
                counts.texts_with.setdefault(word, set()).add(position)
    return per_theme


def _label(counts: PhraseCounts, size: int, overall: Counter[str], average: float) -> str:
    """One theme's label (see `phrase_labels`)."""
    held = {p: c for p, c in counts.held.items() if c > 1} or counts.held
    if not held:
        return NO_LABEL
    size = max(size, 1)
    weight = {
        w: (counts.texts(t) / size) ** 2 * float(np.log1p(average / overall[w]))
        for w, t in counts.texts_with.items()
    }

    def together(words: set[str]) -> int:
        holders = sorted((counts.texts_with[w] for w in words), key=len)
        return counts.texts(holders[0].intersection(*holders[1:])) if holders else 0

    words = {p: _content_words(p) for p in held}
    common = [p for p in held if together(words[p]) >= TOGETHER * size] or list(held)
    return min(common, key=lambda p: (-sum(weight[w] for w in words[p]), p.count(" "), -held[p], p))


def phrase_labels(per_theme: Sequence[PhraseCounts], sizes: Sequence[int]) -> list[str]:
    """Each theme's label from its `phrase_counts` and its number of texts (`sizes`).

    A content word's weight in a theme: the square of the share of the theme's texts holding
    it times log(1 + average texts per theme / texts of all themes holding it), a c-TF-IDF
    over texts (words plural folded). The label is the phrase whose content words weigh most
    together, among the phrases that stand in 2 or more of the theme's texts (all of them when
    none does) and whose content words stand together in at least `TOGETHER` of its texts
    (all of them when none do). Ties: the shorter, then the one in more texts. A theme
    without phrases gets `NO_LABEL`.
    """
    overall = Counter[str]()
    for counts in per_theme:
        overall.update({w: counts.texts(t) for w, t in counts.texts_with.items()})
    average = sum(sizes) / max(len(sizes), 1)
    return [
        _label(counts, size, overall, average)
        for counts, size in zip(per_theme, sizes, strict=True)
    ]


def theme_labels(texts: Sequence[str], labels: npt.NDArray[np.int64], count: int) -> list[str]:
    """The label of each theme 0..count-1 (label -1, an outlier, is ignored)."""
    sizes = np.bincount(labels[labels >= 0], minlength=count)[:count]
    return phrase_labels(phrase_counts(texts, labels, count), sizes.tolist())
