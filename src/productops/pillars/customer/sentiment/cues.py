"""Word lists and cues of the sentiment reader: product words the lexicons lack, negations,
product-problem and request cues, courtesy (docs/customer-insights.md)."""

from __future__ import annotations

import re

__all__ = ["COURTESY", "EN_WORDS", "NEGATIONS", "PROBLEMS", "REQUESTS", "STEMS"]

# Product words VADER's social-media lexicon lacks or under-weights (valence -4..4).
EN_WORDS = {
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
    "nightmare": -2.5,
    "hassle": -1.8,
    "clunky": -1.8,
    "flaky": -1.8,
    "bloated": -1.5,
}

# Per language: word-stem valences (accent-folded; a token matches a stem it starts with),
# product-problem cues and request cues (regular expressions on the folded text).
STEMS = {
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
NEGATIONS = {
    "en": r"not|no|never|n't",
    "de": r"nicht|kein|keine|keinen|nie",
    "es": r"no|nunca|ni",
    "fr": r"ne|n|pas|jamais|plus",
}
PROBLEMS = {
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
    r"hangt|nicht mehr|keine [^.!?]{0,30}mehr|zu teuer|zu hoch|doppelt belastet|falsch|verwirrend|"
    r"irrelevant|ewig|stundenlang|erst am nachsten tag|dauert .{0,20}minuten|kundigen",
    "es": r"se cierra|se bloquea|error|no funciona|dejo de funcionar|lento|tarda|retraso|"
    r"falla|confus|no sirve|ya no|nunca (encuentra|funciona|carga|llega)|dos veces|cancelar",
    "fr": r"plante|planter|erreur|ne fonctionne|ne marche|lent|retard|ne [^.!?]{0,30}plus|"
    r"pas pertinent|deroutant|confus|trop eleve|fausse|deux fois|partir|resilier|"
    r"met(tent)? .{0,25}(minute|heure|seconde|journee|jour)s? a",
}
REQUESTS = {
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
COURTESY = re.compile(rf"^\s*({_POLITE})\s*[!.,:]+\s|\s\W*({_POLITE})\s*[!.]*\s*$", re.IGNORECASE)
