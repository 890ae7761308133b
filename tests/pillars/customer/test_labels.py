"""Theme labels: a phrase that stands in the theme's texts, not keywords joined."""

from __future__ import annotations

import re

import numpy as np

from productops.pillars.customer.labels import (
    NO_LABEL,
    keywords,
    phrase_counts,
    phrase_labels,
    phrases,
    theme_labels,
)

DARK = [
    "Please add a dark mode",
    "dark mode would be great",
    "we need dark mode in the app",
    "is dark mode on the roadmap?",
    "Dark mode for the editor, please",
    "add a dark mode option",
]
UPLOAD = [
    "upload crashes the app",
    "the app: upload crashes every time",
    "upload crashes when I attach a photo",
    "since the update upload crashes",
    "upload crashes on Android",
    "large files: upload crashes",
]
EXPORT = [
    "the csv export times out",
    "csv export is too slow",
    "csv export fails for big reports",
    "can the csv export include tags",
    "csv export misses the header",
    "csv export to excel breaks umlauts",
]
GERMAN = [
    "Die App stürzt beim Hochladen ab.",
    "Seit dem Update stürzt die App beim Hochladen ab",
    "Am iPhone stürzt beim Hochladen von Fotos alles ab",
    "Die App stürzt beim Hochladen von PDFs ab",
]


def _labelled(*groups: list[str]) -> tuple[list[str], np.ndarray]:
    texts = [t for g in groups for t in g]
    return texts, np.repeat(np.arange(len(groups)), [len(g) for g in groups])


def _words(text: str) -> str:
    return " ".join(re.findall(r"\w+(?:['-]\w+)*", text.lower()))


def _stands_in(label: str, texts: list[str]) -> bool:
    """Whether the label's words stand consecutively (no punctuation between) in a text."""
    return any(
        f" {label} " in f" {_words(clause)} " for t in texts for clause in re.split(r"[.,:;!?]", t)
    )


def test_labels_are_the_phrases_a_person_would_write() -> None:
    texts, truth = _labelled(DARK, UPLOAD, EXPORT)
    assert theme_labels(texts, truth, 3) == ["dark mode", "upload crashes", "csv export"]


def test_a_label_stands_in_its_themes_texts_unlike_the_old_join_of_keywords() -> None:
    groups = [DARK, UPLOAD, EXPORT]
    texts, truth = _labelled(*groups)
    labels = theme_labels(texts, truth, 3)
    assert all(_stands_in(lab, g) for lab, g in zip(labels, groups, strict=True))
    # the label before: the first two keywords joined; it reads as no phrase of the texts
    old = [" · ".join(words[:2]) for words in keywords(texts, truth, 3)]
    assert old[0] == "dark mode · add dark"
    assert not _stands_in(old[0], DARK)
    assert not all(_stands_in(lab, g) for lab, g in zip(old, groups, strict=True))


def test_labels_in_other_languages_are_phrases_of_their_texts() -> None:
    labels = theme_labels(GERMAN, np.zeros(len(GERMAN), dtype=np.int64), 1)
    assert labels == ["stürzt beim hochladen"]
    assert _stands_in(labels[0], GERMAN)


def test_phrases_do_not_cross_punctuation_nor_start_or_end_on_a_stop_word() -> None:
    found = phrases("The app: upload crashes, what's next? l'application plante")
    assert "app upload" not in found
    assert "crashes what's" not in found
    assert {"upload crashes", "app", "l'application plante"} <= found
    assert not any(p.split()[0] in {"the", "what's"} or p.endswith(" the") for p in found)
    assert phrases("the and of 404 !") == set()


def test_a_longer_phrase_in_nearly_as_many_texts_wins() -> None:
    texts = ["report a lost card", "report lost card now", "lost card report", "lost card please"]
    labels = theme_labels(texts * 2, np.repeat([0, 1], 4), 2)
    assert labels[0] == "lost card"  # in all 4; "report lost card" in 1
    counts = phrase_counts(["dark mode", "dark mode", "dark"], np.zeros(3, np.int64), 1)
    assert counts[0] == {"dark": 3, "dark mode": 2, "mode": 2}
    assert phrase_labels(counts, [3]) == ["dark mode"]  # 2 of "dark"'s 3 texts: over 0.6


def test_the_weight_prefers_what_is_frequent_in_the_theme_and_rare_elsewhere() -> None:
    # "app" is in every text of both themes; each theme's own phrase wins
    texts = ["login fails in the app", "app: login fails", "app billing wrong", "billing wrong app"]
    assert theme_labels(texts, np.array([0, 0, 1, 1]), 2) == ["login fails", "billing wrong"]


def test_a_theme_without_phrases_or_texts_gets_no_label() -> None:
    assert theme_labels(["the", "of it"], np.array([0, 0]), 2) == [NO_LABEL, NO_LABEL]
    assert theme_labels([], np.array([], dtype=np.int64), 0) == []
