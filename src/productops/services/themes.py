"""Feedback themes: discover them, and rename, merge and split them so that later runs keep the
change (docs/themes.md).

Each write appends one audit row (`services.audit.record`) in the write's transaction, with
the changed themes' id, label, status, size and lineage (never their centroids).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from productops.registry import themes as registry
from productops.services import audit

if TYPE_CHECKING:
    from productops.pillars.customer.embeddings import Embedder
    from productops.pillars.customer.themes import ThemeSettings
    from productops.registry.themes import ThemeRun
    from productops.services.actor import Actor
    from productops.workspace import Workspace

__all__ = ["discover", "merge", "pick_embedder", "rename", "split"]

_BRIEF = ("id", "label", "status", "size", "merged_into", "split_from")


def _brief(ws: Workspace) -> dict[str, dict[str, Any]]:
    """Every theme as the audit trail keeps it, by id."""
    rows = registry.list_themes(ws.store, include_inactive=True)
    return {t["id"]: {k: t.get(k) for k in _BRIEF} for t in rows}


def discover(
    ws: Workspace,
    actor: Actor,
    embedder: Embedder,
    at: datetime,
    settings: ThemeSettings,
    outlier_similarity: float | None = None,
) -> list[ThemeRun]:
    """Assign all feedback to themes per language, opening new themes where enough fits none
    (a write: one audit row for the run, with its counts per language)."""
    with ws.store.transaction():
        runs = registry.discover_themes(
            ws.store, embedder, at, settings, outlier_similarity=outlier_similarity
        )
        after = {
            r.language: {"feedback": r.feedback, "themes": r.themes, "new_themes": r.new_themes}
            for r in runs
        }
        audit.record(ws, actor, "theme.discover", "theme", None, after)
    return runs


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


def pick_embedder(fallback: bool = False) -> Embedder:
    """The embedder a split uses: MiniLM (if installed), or the model-free one if `fallback`."""
    from productops.pillars.customer.embeddings import default_embedder, fallback_embedder

    return fallback_embedder() if fallback else default_embedder()


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
