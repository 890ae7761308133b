"""Feedback themes in the store: discover (incrementally), rename, merge, split.

A run embeds the feedback (through the embedding cache), and within each language assigns
it to the active themes' stored centroids; among what fits none it discovers new themes. Theme
ids (`productops:theme-N`) never change. A renamed theme keeps its label; a merged or split
theme is no longer active, so its feedback goes to the theme it was merged into or split into.
Each run also groups each language's themes into theme groups (`groups.py`), recomputed every
run; a group keeps its id while it keeps most of its themes.
Definitions: docs/themes.md.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from productops.engine import Store
from productops.errors import ConflictError, UsageError
from productops.pillars.customer.embeddings import Embedder, Matrix, normalise
from productops.pillars.customer.groups import group_themes
from productops.pillars.customer.labels import (
    PhraseCounts,
    keywords,
    phrase_counts,
    phrase_labels,
    term_counts,
    theme_labels,
    top_terms,
)
from productops.pillars.customer.themes import (
    Clustering,
    ThemeSettings,
    Weights,
    centroids,
    median_similarities,
    reduce_outliers,
    representatives,
    split,
    update,
)
from productops.registry.embeddings import cached_embeddings
from productops.registry.rows import TIMESTAMP, land, land_query, resolve
from productops.schema import TABLES

__all__ = [
    "Progress",
    "ThemeRun",
    "discover_themes",
    "list_groups",
    "list_themes",
    "merge_themes",
    "rename_theme",
    "split_theme",
    "theme_feedback",
]

Progress = Callable[[str, int, int], None]  # (step, done, total): a long run's progress

UNKNOWN_LANGUAGE = "und"
_COLUMNS = [c.name for c in TABLES["theme"].columns if c.name not in ("source", "ingested_at")]


@dataclass(frozen=True)
class ThemeRun:
    """What one discovery run did in one language."""

    language: str
    feedback: int
    themes: int
    new_themes: int
    outliers: int
    groups: int

    @property
    def outlier_share(self) -> float:
        """Fraction of the language's feedback in no theme, 0-1."""
        return self.outliers / self.feedback if self.feedback else 0.0


def _arrow(rows: Sequence[dict[str, Any]]) -> pa.Table:
    types = {"size": pa.int64(), "created_at": TIMESTAMP, "median_similarity": pa.float64()}
    return pa.table(
        {c: pa.array([r.get(c) for r in rows], types.get(c, pa.string())) for c in _COLUMNS}
    )


def _save(store: Store, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        land(store, "theme", _arrow(rows), "themes")


def _themes(store: Store, where: str = "TRUE", params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    listed = ", ".join(_COLUMNS)
    rows: list[dict[str, Any]] = store.arrow(
        f"SELECT {listed} FROM theme WHERE {where} ORDER BY id", list(params)
    ).to_pylist()
    return rows


def _next_number(store: Store, table: str = "theme", prefix: str = "theme") -> int:
    found = store.sql(
        f"SELECT max(TRY_CAST(regexp_extract(id, '{prefix}-([0-9]+)$', 1) AS BIGINT)) FROM {table}"
    )
    return int(found[0][0] or 0) + 1


def _centroid(theme: dict[str, Any], vectors: Matrix, members: list[tuple[int, int]]) -> Matrix:
    """The stored centroid; if made by another model, the mean of its members' vectors now
    (`members`: (item, how many of its feedback the theme held))."""
    values = json.loads(theme["centroid"]) if theme["centroid"] else []
    if len(values) == vectors.shape[1]:
        return normalise(np.asarray([values], dtype=np.float32))
    total = np.zeros((1, vectors.shape[1]), np.float32)
    for item, times in members:
        total[0] += times * vectors[item]
    return normalise(total)


def _describe(
    theme: dict[str, Any], size: int, ids: Sequence[str], words: list[str], name: str
) -> None:
    """Keywords, label `name` (unless a person renamed it), `size` and quotes from its members."""
    theme["keywords"] = ", ".join(words)
    if not theme.get("renamed_by"):
        theme["label"] = name
    theme["size"] = size
    theme["quotes"] = json.dumps(list(ids))


@dataclass(frozen=True)
class _Items:
    """One language's distinct feedback texts: each text, how many feedback items carry it
    (`weights`), the first of them (`first_ids`, for quotes) and, per theme id, the items the
    theme held before the run with how many of their feedback."""

    texts: list[str]
    weights: Weights
    first_ids: list[str]
    before: dict[str, list[tuple[int, int]]]


def _fit_language(
    store: Store,
    embedder: Embedder,
    language: str,
    items: _Items,
    settings: ThemeSettings,
    outlier_similarity: float | None,
    at: datetime,
    on_progress: Callable[[int, int], None] | None = None,
) -> tuple[list[dict[str, Any]], pa.Table, ThemeRun, list[dict[str, Any]]]:
    """Theme rows, each distinct text's theme (text, theme_id, score) and the theme groups of
    one language. Clustered over distinct texts weighted by their feedback: the same themes as
    over every feedback item, with memory that grows with the distinct texts only."""
    texts, weights = items.texts, items.weights
    vectors = cached_embeddings(store, embedder, texts, on_progress)
    active = _themes(
        store,
        "coalesce(status, 'active') = 'active' AND coalesce(language, ?) = ?",
        [UNKNOWN_LANGUAGE, language],
    )
    known = np.concatenate(
        [_centroid(t, vectors, items.before.get(t["id"], [])) for t in active]
        or [np.zeros((0, embedder.dimensions), np.float32)]
    )
    typical = np.array(
        [t["median_similarity"] if t["model"] == embedder.name else np.nan for t in active],
        np.float64,
    )
    found: Clustering = update(vectors, known, settings, typical, weights=weights)
    if outlier_similarity is not None:
        found = reduce_outliers(vectors, found, outlier_similarity)
    number = _next_number(store)
    themes = active + [
        {"id": f"productops:theme-{number + i}", "status": "active", "created_at": at}
        for i in range(len(found.centroids) - len(active))
    ]
    counts = term_counts(texts, found.labels, len(themes), weights)
    words = top_terms(counts)
    phrases = phrase_counts(texts, found.labels, len(themes), weights)
    inside = found.labels >= 0
    sizes = np.bincount(found.labels[inside], weights[inside], len(themes)).astype(int).tolist()
    names = phrase_labels(phrases, sizes)
    quotes = representatives(found)
    middles = centroids(vectors, found.labels, len(themes), weights)
    medians = median_similarities(vectors, found.labels, middles, weights)
    for index, theme in enumerate(themes):
        theme["language"] = language
        if sizes[index]:
            theme["centroid"] = json.dumps(np.round(middles[index], 6).tolist())
            theme["median_similarity"] = float(medians[index])
            theme["model"] = embedder.name
        _describe(
            theme,
            sizes[index],
            [items.first_ids[i] for i in quotes[index]],
            words[index],
            names[index],
        )
    themed = np.flatnonzero(inside)
    theme_ids = np.array([t["id"] for t in themes] or [""], dtype=object)
    links = pa.table(
        {
            "language": pa.array([language] * len(themed), pa.string()),
            "text": pa.array([texts[i] for i in themed], pa.string()),
            "theme_id": pa.array(theme_ids[found.labels[themed]].tolist(), pa.string()),
            "score": pa.array(np.maximum(found.scores[themed], 0.0), pa.float64()),
        }
    )
    groups = _group(
        store, language, themes, (counts, phrases, sizes), vectors, found.labels, weights
    )
    outliers = int(weights[~inside].sum())
    run = ThemeRun(
        language, int(weights.sum()), len(themes), len(themes) - len(active), outliers, len(groups)
    )
    return themes, links, run, groups


def _group(
    store: Store,
    language: str,
    themes: list[dict[str, Any]],
    counts: tuple[Sequence[Counter[str]], Sequence[PhraseCounts], Sequence[int]],
    vectors: Matrix,
    labels: npt.NDArray[np.int64],
    weights: Weights | None = None,
) -> list[dict[str, Any]]:
    """Group the themes (sets each theme's `group_id`); the group rows to save. A group's
    keywords and label come from its themes' summed `counts` (their term counts, phrase
    counts and sizes). A group keeps the id
    of the earlier group sharing over half of their themes (Jaccard over 0.5: at most one
    earlier group can), else gets the next id."""
    if not themes:
        return []
    of_theme = group_themes(vectors, labels, len(themes), weights=weights)
    count = int(of_theme.max()) + 1
    earlier: dict[str, set[str]] = {}
    for theme in themes:
        if theme.get("group_id"):
            earlier.setdefault(theme["group_id"], set()).add(theme["id"])
    per_group = [Counter[str]() for _ in range(count)]
    phrases = [PhraseCounts() for _ in range(count)]
    sizes = [0] * count
    for terms, held, size, group in zip(*counts, of_theme, strict=True):
        if group >= 0:
            per_group[group].update(terms)
            phrases[group].add(held)
            sizes[group] += size
    words = top_terms(per_group)
    names = phrase_labels(phrases, sizes)
    number = _next_number(store, "theme_group", "group")
    groups: list[dict[str, Any]] = []
    for index in range(count):
        members = {t["id"] for t, g in zip(themes, of_theme, strict=True) if g == index}
        same = [g for g, old in earlier.items() if len(old & members) * 2 > len(old | members)]
        if same:
            ident = same[0]
            del earlier[ident]
        else:
            ident, number = f"productops:group-{number}", number + 1
        groups.append(
            {
                "id": ident,
                "label": names[index],
                "keywords": ", ".join(words[index]),
                "language": language,
            }
        )
    for theme, index in zip(themes, of_theme, strict=True):
        theme["group_id"] = groups[index]["id"] if index >= 0 else None
    return groups


def _save_groups(store: Store, groups: Sequence[dict[str, Any]]) -> None:
    if groups:
        columns = ("id", "label", "keywords", "language")
        data = pa.table({c: pa.array([g[c] for g in groups], pa.string()) for c in columns})
        land(store, "theme_group", data, "themes")


def _land_links(store: Store, links: Sequence[tuple[str, str, float]]) -> None:
    if links:
        feedback_ids, theme_ids, scores = zip(*links, strict=True)
        data = pa.table(
            {
                "feedback_id": pa.array(feedback_ids, pa.string()),
                "theme_id": pa.array(theme_ids, pa.string()),
                "score": pa.array(scores, pa.float64()),
            }
        )
        land(store, "feedback_theme", data, "themes")


def _land_text_links(store: Store, links: pa.Table) -> None:
    """Each feedback item assigned its text's theme: the distinct texts' `links` (language,
    text, theme_id, score) joined to the feedback inside the store, never fetched."""
    if not links.num_rows:
        return
    with store.staged("_text_theme", links):
        land_query(
            store,
            "feedback_theme",
            "SELECT f.id AS feedback_id, t.theme_id, t.score FROM feedback f JOIN _text_theme t "
            "ON t.text = f.text AND t.language = coalesce(f.language, ?)",
            [UNKNOWN_LANGUAGE],
            "themes",
        )


def _distinct_items(store: Store) -> dict[str, _Items]:
    """Per language, its distinct feedback texts in the order of their first feedback id."""
    found = store.arrow(
        "SELECT coalesce(language, ?) AS language, text, count(*) AS n, min(id) AS first_id "
        "FROM feedback WHERE text IS NOT NULL GROUP BY ALL ORDER BY language, first_id",
        [UNKNOWN_LANGUAGE],
    )
    held = store.arrow(
        "SELECT coalesce(f.language, ?) AS language, f.text, ft.theme_id, count(*) AS n "
        "FROM feedback_theme ft JOIN feedback f ON f.id = ft.feedback_id "
        "WHERE f.text IS NOT NULL GROUP BY ALL ORDER BY ALL",
        [UNKNOWN_LANGUAGE],
    ).to_pylist()
    held_in: dict[str, list[dict[str, Any]]] = {}
    for row in held:
        held_in.setdefault(row["language"], []).append(row)
    out: dict[str, _Items] = {}
    languages = found.column("language").to_numpy(zero_copy_only=False)
    for language in dict.fromkeys(languages.tolist()):
        rows = found.filter(pa.array(languages == language))
        texts = [str(t) for t in rows.column("text").to_pylist()]
        position = {t: i for i, t in enumerate(texts)}
        before: dict[str, list[tuple[int, int]]] = {}
        for row in held_in.get(language, []):
            before.setdefault(row["theme_id"], []).append((position[row["text"]], row["n"]))
        weights = rows.column("n").to_numpy().astype(np.int64)
        first_ids = [str(i) for i in rows.column("first_id").to_pylist()]
        out[language] = _Items(texts, weights, first_ids, before)
    return out


def discover_themes(
    store: Store,
    embedder: Embedder,
    at: datetime,
    settings: ThemeSettings | None = None,
    outlier_similarity: float | None = None,
    on_progress: Progress | None = None,
) -> list[ThemeRun]:
    """Assign all feedback to themes, per language, opening new themes where enough fits none.

    `outlier_similarity`: also join outliers to their nearest theme at this cosine or more.
    `on_progress(step, done, total)`: each language's texts embedded (new ones, a batch at a
    time), then its themes found.
    """
    settings = settings or ThemeSettings()
    runs: list[ThemeRun] = []
    with store.transaction():
        by_language = _distinct_items(store)
        store.sql("DELETE FROM feedback_theme")
        for language in sorted(by_language):
            themes, links, run, groups = _fit_language(
                store,
                embedder,
                language,
                by_language.pop(language),
                settings,
                outlier_similarity,
                at,
                partial(on_progress, f"{language}: texts embedded") if on_progress else None,
            )
            if on_progress:
                on_progress(f"{language}: themes found", run.themes, run.themes)
            _save_groups(store, groups)
            _save(store, themes)
            _land_text_links(store, links)
            runs.append(run)
    return runs


def list_themes(store: Store, include_inactive: bool = False) -> list[dict[str, Any]]:
    """Themes, largest first: id, label, language, size, status, keywords and lineage."""
    where = "TRUE" if include_inactive else "coalesce(status, 'active') = 'active'"
    found = _themes(store, where)
    return sorted(found, key=lambda t: (-(t["size"] or 0), t["id"]))


def list_groups(store: Store) -> list[dict[str, Any]]:
    """Theme groups with active themes, largest first: id, label, language, themes (how many),
    size (their feedback), keywords and the member themes' ids, largest first."""
    rows: list[dict[str, Any]] = store.arrow(
        "SELECT g.id, g.label, g.language, count(*) AS themes, "
        "CAST(coalesce(sum(t.size), 0) AS BIGINT) AS size, g.keywords, "
        "string_agg(t.id, ', ' ORDER BY t.size DESC NULLS LAST, t.id) AS theme_ids "
        "FROM theme_group g JOIN theme t ON t.group_id = g.id "
        "WHERE coalesce(t.status, 'active') = 'active' "
        "GROUP BY g.id, g.label, g.language, g.keywords ORDER BY size DESC, g.id"
    ).to_pylist()
    return rows


def _one(store: Store, ref: str) -> dict[str, Any]:
    return _themes(
        store,
        "id = ?",
        [resolve(store, "theme", "theme", ref, "theme", "productops feedback themes list")],
    )[0]


def theme_feedback(store: Store, ref: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A theme and its feedback (id, text, score), most similar first."""
    theme = _one(store, ref)
    members: list[dict[str, Any]] = store.arrow(
        "SELECT f.id, f.text, ft.score FROM feedback_theme ft JOIN feedback f "
        "ON f.id = ft.feedback_id WHERE ft.theme_id = ? ORDER BY ft.score DESC, f.id",
        [theme["id"]],
    ).to_pylist()
    return theme, members


def rename_theme(store: Store, ref: str, new_label: str, person: str | None) -> dict[str, Any]:
    """Give a theme a label that later runs keep."""
    if not new_label.strip():
        raise UsageError("a theme's label cannot be empty")
    theme = _one(store, ref) | {"label": new_label.strip(), "renamed_by": person}
    _save(store, [theme])
    return theme


def merge_themes(store: Store, source_ref: str, target_ref: str) -> dict[str, Any]:
    """Merge theme A into B: A's feedback moves to B, A stays merged on later runs."""
    source, target = _one(store, source_ref), _one(store, target_ref)
    if source["id"] == target["id"]:
        raise UsageError(f"cannot merge {source['id']} into itself")
    if source["status"] not in (None, "active") or target["status"] not in (None, "active"):
        raise ConflictError(f"only active themes merge: {source['id']}, {target['id']}")
    sizes = np.array([[source["size"] or 0], [target["size"] or 0]], dtype=np.float32)
    vectors = [json.loads(t["centroid"]) for t in (source, target) if t["centroid"]]
    if len(vectors) == 2:
        mean = (np.asarray(vectors, dtype=np.float32) * np.maximum(sizes, 1)).sum(axis=0)
        target["centroid"] = json.dumps(np.round(normalise(mean[None])[0], 6).tolist())
    target["size"] = int(sizes.sum())
    target["median_similarity"] = None  # not known for the joined items until the next run
    with store.transaction():
        moved = store.arrow(
            "SELECT feedback_id, ? AS theme_id, score FROM feedback_theme WHERE theme_id = ?",
            [target["id"], source["id"]],
        )
        store.sql("DELETE FROM feedback_theme WHERE theme_id = ?", [source["id"]])
        if moved.num_rows:
            land(store, "feedback_theme", moved, "themes")
        _save(
            store, [source | {"status": "merged", "merged_into": target["id"], "size": 0}, target]
        )
    return target


def split_theme(
    store: Store, embedder: Embedder, ref: str, at: datetime, parts: int = 2
) -> list[dict[str, Any]]:
    """Split a theme into `parts` new themes (split_from it); it stays split on later runs."""
    theme, members = theme_feedback(store, ref)
    if theme["status"] not in (None, "active") or len(members) < parts:
        raise UsageError(f"{theme['id']}: only an active theme with {parts}+ feedback splits")
    texts = [m["text"] for m in members]
    vectors = cached_embeddings(store, embedder, texts)
    labels = split(vectors, parts)
    number = _next_number(store)
    words = keywords(texts, labels, parts)
    names = theme_labels(texts, labels, parts)
    children: list[dict[str, Any]] = []
    links: list[tuple[str, str, float]] = []
    for part in range(parts):
        inside = np.flatnonzero(labels == part)
        centroid = normalise(vectors[inside].mean(axis=0, keepdims=True))[0]
        scores = vectors[inside] @ centroid
        best = inside[np.argsort(-scores, kind="stable")[:3]]
        child: dict[str, Any] = {
            "id": f"productops:theme-{number + part}",
            "status": "active",
            "created_at": at,
            "language": theme["language"],
            "split_from": theme["id"],
            "group_id": theme.get("group_id"),
            "centroid": json.dumps(np.round(centroid, 6).tolist()),
            "median_similarity": float(np.median(scores)),
            "model": embedder.name,
        }
        quotes = [members[i]["id"] for i in best]
        _describe(child, len(inside), quotes, words[part], names[part])
        children.append(child)
        links += [
            (members[i]["id"], child["id"], float(s)) for i, s in zip(inside, scores, strict=True)
        ]
    with store.transaction():
        store.sql("DELETE FROM feedback_theme WHERE theme_id = ?", [theme["id"]])
        _save(store, [theme | {"status": "split", "size": 0}, *children])
        _land_links(store, links)
    return children
