"""Language of feedback text (ISO 639-1), with the model that ships inside `py3langid`.

A naive Bayes classifier over byte n-grams (langid.py's model), restricted to
`LANGUAGES`, the languages customers of a product most often write in: a smaller
set is both faster and more accurate on short texts. The classifier's scores
get class priors (`PRIORS`: English 40%, German, French and Spanish 10% each,
the rest shared): a long text is decided by its words, a two-word one
("Fine overall") leans to the common languages. Deterministic: the same text
always gets the same language. A text with fewer than `MIN_LETTERS` letters
gets None (too short to tell).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any

import numpy as np

__all__ = ["LANGUAGES", "MIN_LETTERS", "PRIORS", "detect_languages", "normalise_language"]

LANGUAGES = (
    "en", "de", "fr", "es", "it", "pt", "nl", "sv", "da", "no", "fi", "pl", "cs", "tr",
    "ru", "uk", "ja", "zh", "ko", "ar",
)  # fmt: skip
MIN_LETTERS = 3
PRIORS = {"en": 0.4, "de": 0.1, "fr": 0.1, "es": 0.1}


@cache
def _identifier(languages: tuple[str, ...]) -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier  # type: ignore[import-untyped]

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE)
    identifier.set_languages(list(languages))
    rest = [lang for lang in languages if lang not in PRIORS]
    share = (1 - sum(PRIORS.get(lang, 0) for lang in languages)) / max(len(rest), 1)
    log_prior = [math.log(PRIORS.get(lang, share)) for lang in identifier.nb_classes]
    # The model's own class log-priors are all but uniform: add ours.
    identifier.nb_pc = identifier.nb_pc + np.asarray(log_prior, dtype=identifier.nb_pc.dtype)
    return identifier


def detect_languages(
    texts: Iterable[str | None], languages: Sequence[str] = LANGUAGES
) -> list[str | None]:
    """The ISO 639-1 code of each text's language (None for None or too little text).

    >>> detect_languages(["Die App stürzt beim Hochladen ab.", "ok", None])
    ['de', None, None]
    """
    identifier = _identifier(tuple(languages))
    found: list[str | None] = []
    for text in texts:
        if text is None or sum(map(str.isalpha, text)) < MIN_LETTERS:
            found.append(None)
        else:
            found.append(str(identifier.classify(text)[0]))
    return found


def normalise_language(value: str | None) -> str | None:
    """A source's language tag as ISO 639-1 (`en_US`, `EN-gb`, `en` -> `en`), else None.

    >>> normalise_language("pt_BR"), normalise_language("English")
    ('pt', None)
    """
    if not value:
        return None
    head = value.strip().replace("_", "-").split("-")[0].lower()
    return head if len(head) == 2 and head.isalpha() else None
