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
    "a dark mode option",
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
GERMAN_SLOW = [
    "Die App ist so langsam",
    "Die App lädt langsam",
    "App langsam seit dem Update",
    "Die App reagiert langsam",
]
FRENCH = [
    "L'application plante au démarrage",
    "depuis hier, elle plante au démarrage",
    "Elle plante au démarrage, encore",
    "plante au démarrage sur Android",
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
    assert old[1] == "upload crashes · app"
    assert not _stands_in(old[1], UPLOAD)
    assert not all(_stands_in(lab, g) for lab, g in zip(old, groups, strict=True))


def test_labels_in_other_languages_are_phrases_of_their_texts() -> None:
    texts, truth = _labelled(GERMAN, GERMAN_SLOW)
    labels = theme_labels(texts, truth, 2)
    # "app" is in both themes' texts but still adds a little, and 3 of 4 texts hold all three
    assert labels == ["app stürzt beim hochladen", "langsam"]
    assert _stands_in(labels[0], GERMAN)
    assert theme_labels(FRENCH, np.zeros(4, np.int64), 1) == ["plante au démarrage"]


def test_phrases_do_not_cross_punctuation_nor_start_or_end_on_a_stop_word() -> None:
    found = phrases("The app: upload crashes, what's next? l'application plante")
    assert "app upload" not in found
    assert "crashes what's" not in found
    assert {"upload crashes", "app", "l'application plante"} <= found
    assert not any(p.split()[0] in {"the", "what's"} or p.endswith(" the") for p in found)
    assert phrases("the and of 404 !") == set()


def test_the_phrase_whose_words_weigh_most_wins_among_those_in_two_texts() -> None:
    texts = ["report a lost card", "report lost card now", "lost card report", "lost card please"]
    labels = theme_labels(texts * 2, np.repeat([0, 1], 4), 2)
    assert labels[0] == "lost card"  # in all 4; "report lost card" stands in only 1
    counts = phrase_counts(["dark mode", "dark modes", "dark"], np.zeros(3, np.int64), 1)
    assert counts[0].held == {"dark": 3, "dark mode": 1, "dark modes": 1, "mode": 1, "modes": 1}
    assert counts[0].texts_with == {"dark": {0, 1, 2}, "mode": {0, 1}}  # plural folded
    assert phrase_labels(counts, [3]) == ["dark"]  # no longer phrase stands in 2 texts


def test_two_distinctive_words_beat_one_when_a_fifth_of_the_texts_hold_both() -> None:
    cancel = [
        "cancel my reservation",
        "please cancel my reservation for tonight",
        "my reservation at 8",
        "the reservation for two",
        "what time is my reservation",
        "move the reservation",
        "reservation under smith",
        "reservation for friday",
        "is the reservation confirmed",
        "reservation at luigi's",
    ]
    other = ["what is the weather", "weather tomorrow", "weather in paris", "is it raining"]
    texts, truth = _labelled(cancel, other)
    # "cancel" is in 2 of 10 texts: a fifth, so "cancel my reservation" names the theme
    assert theme_labels(texts, truth, 2)[0] == "cancel my reservation"
    # in 2 of 11, under a fifth: the one word all share
    texts, truth = _labelled([*cancel, "reservation for six"], other)
    assert theme_labels(texts, truth, 2)[0] == "reservation"


def test_the_weight_prefers_what_is_frequent_in_the_theme_and_rare_elsewhere() -> None:
    # "app" is in every text of both themes; each theme's own phrase wins
    texts = ["login fails in the app", "app: login fails", "app billing wrong", "billing wrong app"]
    assert theme_labels(texts, np.array([0, 0, 1, 1]), 2) == ["login fails", "billing wrong"]


def test_a_theme_without_phrases_or_texts_gets_no_label() -> None:
    assert theme_labels(["the", "of it"], np.array([0, 0]), 2) == [NO_LABEL, NO_LABEL]
    assert theme_labels([], np.array([], dtype=np.int64), 0) == []
