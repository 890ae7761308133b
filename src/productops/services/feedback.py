"""Feedback analyses kept in the store (sentiment, repeats), links to work items and published
insights (docs/customer-insights.md).

Each write appends one audit row (`services.audit.record`) in the write's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from productops.registry import feedback_analysis as fa
from productops.services import audit

if TYPE_CHECKING:
    from productops.pillars.customer.duplicates import DuplicateRule
    from productops.pillars.customer.embeddings import Embedder
    from productops.services.actor import Actor
    from productops.workspace import Workspace

__all__ = [
    "Link",
    "mark_duplicates",
    "publish_insight",
    "score_sentiment",
    "set_link",
    "suggest_links",
]


@dataclass(frozen=True)
class Link:
    """A link from a piece of feedback to a work item, and its state."""

    feedback_id: str
    work_item_id: str
    state: str


def score_sentiment(ws: Workspace, actor: Actor, rescore: bool = False) -> int:
    """Read the sentiment of feedback not read yet (`rescore`: of all); returns how many were
    read (a write: one audit row for the call, with the count)."""
    with ws.store.transaction():
        scored = fa.score_sentiment(ws.store, rescore)
        after = {"scored": scored, "rescore": rescore}
        audit.record(ws, actor, "feedback.sentiment", "feedback", None, after)
    return scored


def mark_duplicates(
    ws: Workspace, actor: Actor, embedder: Embedder, rule: DuplicateRule
) -> tuple[int, int]:
    """Mark repeated feedback (`duplicate_of`); returns the items checked and the repeats found
    (a write: one audit row for the call, with the counts)."""
    with ws.store.transaction():
        checked, repeats = fa.mark_duplicates(ws.store, embedder, rule)
        after = {"checked": checked, "repeats": repeats, "threshold": rule.threshold}
        audit.record(ws, actor, "feedback.duplicates", "feedback", None, after)
    return checked, repeats


def _link_rows(ws: Workspace, feedback_ref: str, item_ref: str) -> dict[tuple[str, str], Any]:
    """The links whose ids `feedback_ref` and `item_ref` may name (as `fa.set_link` resolves)."""
    rows = ws.store.arrow(
        "SELECT feedback_id, work_item_id, state, importance, score FROM feedback_link "
        "WHERE (feedback_id = ? OR ends_with(feedback_id, ':' || ?)) "
        "AND (work_item_id = ? OR ends_with(work_item_id, ':' || ?))",
        [feedback_ref, feedback_ref, item_ref, item_ref],
    ).to_pylist()
    return {(r["feedback_id"], r["work_item_id"]): r for r in rows}


def set_link(
    ws: Workspace,
    actor: Actor,
    feedback_ref: str,
    item_ref: str,
    state: str,
    importance: int | None = None,
) -> Link:
    """Confirm or reject (`state`) that a piece of feedback asks for a work item, creating the
    link if it was never suggested (a write: audited as `actor`'s)."""
    with ws.store.transaction():
        old = _link_rows(ws, feedback_ref, item_ref)
        feedback_id, item_id = fa.set_link(ws.store, feedback_ref, item_ref, state, importance)
        before = old.get((feedback_id, item_id))
        after = _link_rows(ws, feedback_id, item_id)[feedback_id, item_id]
        obj = f"feedback_link:{feedback_id}->{item_id}"
        action = "feedback_link.reject" if state == "rejected" else "feedback_link.confirm"
        audit.record(ws, actor, action, obj, before, after)
    return Link(feedback_id, item_id, state)


def suggest_links(
    ws: Workspace,
    actor: Actor,
    embedder: Embedder,
    threshold: float,
    top: int,
    by_theme: bool = False,
) -> int:
    """Suggest links from feedback (or each theme) to the work items whose titles read most
    alike; returns how many were added (a write: one audit row for the call, with the count)."""
    with ws.store.transaction():
        added = fa.suggest_feedback_links(ws.store, embedder, threshold, top, by_theme)
        after = {"suggested": added, "threshold": threshold, "top": top, "by_theme": by_theme}
        audit.record(ws, actor, "feedback_link.suggest", "feedback_link", None, after)
    return added


def publish_insight(
    ws: Workspace,
    actor: Actor,
    title: str,
    theme_refs: Sequence[str],
    team: str | None = None,
    summary: str | None = None,
    audience: str | None = None,
    published_at: datetime | None = None,
) -> str:
    """Publish an insight on existing themes; returns its id (a write: audited as `actor`'s)."""
    with ws.store.transaction():
        ident = fa.publish_insight(
            ws.store, title, theme_refs, team, summary, audience, published_at
        )
        [after] = ws.store.arrow(
            "SELECT id, team_id, title, theme_ids, audience, published_at FROM insight "
            "WHERE id = ?",
            [ident],
        ).to_pylist()
        audit.record(ws, actor, "insight.publish", f"insight:{ident}", None, dict(after))
    return ident
