"""Feedback themes: discover them, rename, merge and split them so that later runs keep the
change, and read them, their groups and their feedback (docs/themes.md).

Each write appends one audit row (`services.audit.record`) in the write's transaction, with
the changed themes' id, label, status, size and lineage (never their centroids).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from productops.registry import themes as registry
from productops.services import audit
from productops.services.rows import typed

if TYPE_CHECKING:
    from productops.pillars.customer.embeddings import Embedder
    from productops.pillars.customer.themes import ThemeSettings
    from productops.registry.themes import ThemeRun
    from productops.services.actor import Actor
    from productops.workspace import Workspace

__all__ = [
    "Discovery",
    "Theme",
    "ThemeFeedback",
    "ThemeGroup",
    "discover",
    "language_note",
    "list_themes",
    "merge",
    "pick_embedder",
    "rename",
    "show_theme",
    "split",
    "theme_feedback",
    "theme_groups",
    "themes_note",
]


@dataclass(frozen=True)
class Theme:
    """A feedback theme; `keywords` comma-separated; lineage when merged or split."""

    id: str
    label: str
    language: str | None
    size: int | None
    status: str | None
    group_id: str | None
    keywords: str | None
    merged_into: str | None
    split_from: str | None


@dataclass(frozen=True)
class ThemeGroup:
    """Similar themes of one language under one label; `size` the feedback in its themes,
    `theme_ids` its themes, largest first."""

    id: str
    label: str | None
    language: str | None
    themes: int
    size: int
    keywords: str | None
    theme_ids: str | None


@dataclass(frozen=True)
class ThemeFeedback:
    """A piece of a theme's feedback and how close it is to the theme (cosine similarity 0-1)."""

    id: str
    score: float | None
    text: str | None


def list_themes(ws: Workspace, include_inactive: bool = False) -> list[Theme]:
    """Active themes (with `include_inactive`, also merged, split and archived), largest first."""
    return typed(registry.list_themes(ws.store, include_inactive), Theme)


def theme_groups(ws: Workspace) -> list[ThemeGroup]:
    """Theme groups with active themes, largest first."""
    return typed(registry.list_groups(ws.store), ThemeGroup)


def theme_feedback(ws: Workspace, ref: str) -> tuple[Theme, list[ThemeFeedback]]:
    """Theme `ref` (its id or number) and its feedback, most similar first."""
    found, members = registry.theme_feedback(ws.store, ref)
    return typed([found], Theme)[0], typed(members, ThemeFeedback)


def show_theme(ws: Workspace, ref: str) -> Theme:
    """Theme `ref` (its id or number)."""
    return theme_feedback(ws, ref)[0]


_BRIEF = ("id", "label", "status", "size", "merged_into", "split_from")


def _brief(ws: Workspace) -> dict[str, dict[str, Any]]:
    """Every theme as the audit trail keeps it, by id."""
    rows = registry.list_themes(ws.store, include_inactive=True)
    return {t["id"]: {k: t.get(k) for k in _BRIEF} for t in rows}


@dataclass(frozen=True)
class Discovery:
    """What a discovery run did: per language, its counts; and the `themes_note` after it."""

    runs: list[ThemeRun]
    note: str | None


def discover(
    ws: Workspace,
    actor: Actor,
    embedder: Embedder,
    at: datetime,
    settings: ThemeSettings,
    outlier_similarity: float | None = None,
    on_progress: registry.Progress | None = None,
) -> Discovery:
    """Assign all feedback to themes per language, opening new themes where enough fits none
    (a write: one audit row for the run, with its counts per language). `on_progress(step,
    done, total)` as `registry.discover_themes` calls it."""
    with ws.store.transaction():
        runs = registry.discover_themes(
            ws.store, embedder, at, settings, outlier_similarity, on_progress
        )
        after = {
            r.language: {"feedback": r.feedback, "themes": r.themes, "new_themes": r.new_themes}
            for r in runs
        }
        audit.record(ws, actor, "theme.discover", "theme", None, after)
    return Discovery(runs, themes_note(ws))


def rename(ws: Workspace, actor: Actor, ref: str, label: str, person: str | None) -> dict[str, Any]:
    """Give a theme a label that later runs keep, as renamed by `person`; returns the theme (a
    write: audited as `actor`'s)."""
    before = _brief(ws)
    with ws.store.transaction():
        theme = registry.rename_theme(ws.store, ref, label, person)
        ident = theme["id"]
        audit.record(ws, actor, "theme.rename", f"theme:{ident}", before[ident], _brief(ws)[ident])
    return theme


def merge(ws: Workspace, actor: Actor, ref: str, into: str) -> dict[str, Any]:
    """Merge theme `ref` into `into`: its feedback moves, later runs keep it merged; returns the
    theme merged into (a write: audited as `actor`'s, on the merged theme)."""
    before = _brief(ws)
    with ws.store.transaction():
        target = registry.merge_themes(ws.store, ref, into)
        after = _brief(ws)
        [source] = [i for i, t in after.items() if t["merged_into"] != before[i]["merged_into"]]
        ids = (source, target["id"])
        audit.record(
            ws,
            actor,
            "theme.merge",
            f"theme:{source}",
            {i: before[i] for i in ids},
            {i: after[i] for i in ids},
        )
    return target


def pick_embedder(
    ws: Workspace | None, fallback: bool = False, model: Path | None = None
) -> Embedder:
    """The embedder: the model-free one if `fallback`, else `model`, else the workspace's
    `[themes] model` (relative to the workspace), else MiniLM (if installed; else the
    model-free one)."""
    from productops.pillars.customer.embeddings import (
        default_embedder,
        fallback_embedder,
        model_embedder,
    )

    if fallback:
        return fallback_embedder()
    if model is not None:
        return model_embedder(model)
    if ws is not None and ws.config.themes.model:
        return model_embedder(ws.root / ws.config.themes.model)
    return default_embedder()


def language_note(model: str, languages: Iterable[str]) -> str | None:
    """What to tell when `model` reads English only and themes were found in other languages
    (`languages`, ISO 639-1 codes; `und` is unknown); None otherwise."""
    from productops.pillars.customer.embeddings import ENGLISH_MODELS

    others = sorted(set(languages) - {"en", "und"})
    if model not in ENGLISH_MODELS or not others:
        return None
    return (
        f"themes in {', '.join(others)} were found with {model}, an English model: it reads "
        "other languages poorly; set [themes] model to a multilingual model (docs/themes.md)"
    )


def themes_note(ws: Workspace) -> str | None:
    """The `language_note` of the active themes as stored: per model that found them
    (`theme.model`), the languages of its themes; None when no note applies."""
    languages: dict[str, set[str]] = {}
    for theme in registry.list_themes(ws.store):
        if theme["model"]:
            languages.setdefault(theme["model"], set()).add(theme["language"] or "und")
    notes = [language_note(m, found) for m, found in sorted(languages.items())]
    return " ".join(n for n in notes if n) or None


def split(
    ws: Workspace, actor: Actor, embedder: Embedder, ref: str, at: datetime, parts: int = 2
) -> list[dict[str, Any]]:
    """Split a theme into `parts` new ones by its feedback's meaning; later runs keep it split.
    Returns the new themes (a write: audited as `actor`'s, on the split theme)."""
    before = _brief(ws)
    with ws.store.transaction():
        children = registry.split_theme(ws.store, embedder, ref, at, parts)
        after = _brief(ws)
        ident = children[0]["split_from"]
        made = [after[c["id"]] for c in children]
        audit.record(
            ws,
            actor,
            "theme.split",
            f"theme:{ident}",
            before[ident],
            after[ident] | {"parts": made},
        )
    return children
