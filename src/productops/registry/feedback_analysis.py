"""Feedback analyses written back to the store: sentiment, repeats, suggested and confirmed links
to work items, and published insights (docs/customer-insights.md).

Every write re-lands whole canonical rows through `ingest.land_arrow` (validated, upserted);
the computations are `productops.pillars.customer`'s.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from productops.engine import Store
from productops.errors import NotFoundError, UsageError
from productops.pillars.customer.duplicates import DuplicateRule, find_duplicates
from productops.pillars.customer.embeddings import Embedder, Matrix, normalise, text_hash
from productops.pillars.customer.insights import insight_themes
from productops.pillars.customer.links import suggest_links
from productops.pillars.customer.sentiment import READ_LANGUAGES, read_sentiment
from productops.pillars.customer.trends import SpikeRule, find_spikes, theme_trend
from productops.registry.embeddings import cached_embeddings
from productops.registry.rows import TIMESTAMP, land, land_query, strings

if TYPE_CHECKING:
    from ibis.backends import BaseBackend

__all__ = [
    "BATCH_ROWS",
    "LINK_STATES",
    "mark_duplicates",
    "publish_insight",
    "score_sentiment",
    "set_link",
    "spike_report",
    "suggest_feedback_links",
]

LINK_STATES = ("suggested", "confirmed", "rejected")
BATCH_ROWS = 65_536  # feedback rows read at a time where they are read in batches
SUGGESTED_IMPORTANCE = 1  # "nice to have" until a person says otherwise


def _strs(data: pa.Table, column: str) -> list[str]:
    return [str(v) for v in data.column(column).to_pylist()]


def score_sentiment(store: Store, rescore: bool = False) -> int:
    """Read and store the sentiment of feedback without a label, and of feedback read before
    in a language no longer read (all feedback if `rescore`); returns how many items were
    scored. Each distinct (text, language) is read once and its reading joined to the feedback
    inside the store: memory grows with the distinct texts, not with the feedback."""
    where, params = "", []
    if not rescore:
        where = (
            "WHERE f.sentiment_label IS NULL OR (list_contains(?, f.language) IS FALSE "
            "AND f.sentiment_label <> 'unknown')"
        )
        params = [list(READ_LANGUAGES)]
    unread = store.arrow(
        f"SELECT f.text, f.language, count(*) AS n FROM feedback f {where} GROUP BY ALL", params
    )
    if not unread.num_rows:
        return 0
    got = read_sentiment(_strs(unread, "text"), unread.column("language").to_pylist())
    readings = (
        unread.select(["text", "language"])
        .rename_columns(["r_text", "r_language"])
        .append_column("score", pa.array([r.score for r in got], pa.float64()))
        .append_column("label", strings([r.label for r in got]))
    )
    with store.staged("_reading", readings):
        land_query(
            store,
            "feedback",
            "SELECT f.* EXCLUDE (ingested_at, sentiment, sentiment_label), r.score AS sentiment, "
            "r.label AS sentiment_label FROM feedback f JOIN _reading r ON r.r_text = f.text "
            f"AND r.r_language IS NOT DISTINCT FROM f.language {where}",
            params,
            "sentiment",
        )
    return int(pc.sum(unread.column("n")).as_py())


def _distinct_texts(store: Store, embedder: Embedder, where: str = "") -> tuple[pa.Table, Matrix]:
    """The distinct feedback texts (`where` picks the feedback), each with its row `k` in the
    vectors returned: memory grows with the distinct texts, not with the feedback."""
    found = store.arrow(f"SELECT DISTINCT text FROM feedback {where} ORDER BY text")
    texts = _strs(found, "text")
    vectors = cached_embeddings(store, embedder, texts)
    return found.append_column("k", pa.array(range(len(texts)), pa.int64())), vectors


def _repeat_changes(
    store: Store, rule: DuplicateRule, vectors: Matrix
) -> tuple[int, int, dict[str, str | None]]:
    """Feedback read in batches, a group (`rule`: the requester and the language, else the
    language) at a time: how many were checked, how many repeat, and each id whose
    `duplicate_of` changes with the new value."""
    group = (
        "CASE WHEN coalesce(f.requester_hash, '') <> '' THEN f.requester_hash || '|' || "
        "coalesce(f.language, '') ELSE f.id END"
        if rule.same_requester
        else "coalesce(f.language, '')"
    )
    checked, repeats = 0, 0
    changes: dict[str, str | None] = {}

    def check(rows: pa.Table) -> None:
        nonlocal checked, repeats
        ids = _strs(rows, "id")
        found = find_duplicates(
            ids,
            [t for t in rows.column("created_at").to_pylist() if t is not None],
            rows.column("grp").to_pylist(),
            vectors[rows.column("k").to_numpy()],
            rule,
        )
        checked, repeats = checked + len(ids), repeats + len(found)
        for ident, old in zip(ids, rows.column("duplicate_of").to_pylist(), strict=True):
            if found.get(ident) != old:
                changes[ident] = found.get(ident)

    held = None
    for batch in store.batches(
        f"SELECT f.id, f.created_at, {group} AS grp, t.k, f.duplicate_of FROM feedback f "
        "JOIN _text_k t ON t.text = f.text ORDER BY grp, f.created_at, f.id",
        rows=BATCH_ROWS,
    ):
        rows = pa.Table.from_batches([batch])
        rows = pa.concat_tables([held, rows]) if held is not None else rows
        groups = rows.column("grp")
        last = pc.equal(groups, groups[-1])
        check(rows.filter(pc.invert(last)))  # every group but the last is whole
        held = rows.filter(last)
    if held is not None:
        check(held)
    return checked, repeats, changes


def mark_duplicates(store: Store, embedder: Embedder, rule: DuplicateRule) -> tuple[int, int]:
    """Set `duplicate_of` on every feedback item by `rule` (clearing it where no longer a
    repeat); returns (items checked, repeats found). The feedback is read in batches of whole
    groups, its vectors per distinct text: memory grows with a group and the distinct texts."""
    texts, vectors = _distinct_texts(store, embedder)
    with store.staged("_text_k", texts):
        checked, repeats, changes = _repeat_changes(store, rule, vectors)
    if changes:
        changed = pa.table(
            {"id": strings(list(changes)), "duplicate_of": strings(list(changes.values()))}
        )
        with store.staged("_repeat", changed):
            land_query(
                store,
                "feedback",
                "SELECT f.* EXCLUDE (ingested_at, duplicate_of), r.duplicate_of "
                "FROM feedback f JOIN _repeat r ON r.id = f.id",
                [],
                "duplicates",
            )
    return checked, repeats


def _items(store: Store) -> tuple[list[str], list[str]]:
    rows = store.sql(
        "SELECT id, title FROM work_item WHERE title IS NOT NULL AND "
        "coalesce(status_category, '') <> 'cancelled' ORDER BY id"
    )
    return [r[0] for r in rows], [r[1] for r in rows]


_SUGGESTED = (
    "SELECT f.id AS feedback_id, s.work_item_id, CAST(? AS BIGINT) AS importance, "
    "'suggested' AS state, max(s.score) AS score, CAST(? AS TIMESTAMPTZ) AS created_at "
    "FROM _suggested s {join} WHERE f.duplicate_of IS NULL AND NOT EXISTS (SELECT 1 FROM "
    "feedback_link l WHERE l.feedback_id = f.id AND l.work_item_id = s.work_item_id) GROUP BY ALL"
)


def _theme_centroids(store: Store, embedder: Embedder) -> tuple[list[str], Matrix]:
    """Each theme's centroid: the mean vector of its feedback that repeats none (each distinct
    text weighted by how many of them carry it)."""
    held = store.arrow(
        "SELECT ft.theme_id, f.text, count(*) AS n FROM feedback f JOIN feedback_theme ft "
        "ON ft.feedback_id = f.id WHERE f.duplicate_of IS NULL GROUP BY ALL ORDER BY ALL"
    )
    vectors = cached_embeddings(store, embedder, _strs(held, "text"))
    themes = _strs(held, "theme_id")
    names = sorted(set(themes))
    weights = held.column("n").to_numpy().astype(np.float32)
    sums = np.zeros((len(names), vectors.shape[1]), np.float32)
    np.add.at(sums, np.searchsorted(names, themes), vectors * weights[:, None])
    return names, normalise(sums)


def suggest_feedback_links(
    store: Store, embedder: Embedder, threshold: float, top: int, by_theme: bool = False
) -> int:
    """Suggest links from feedback (or, `by_theme`, from each theme's centroid to all of its
    feedback) to the work items whose titles read most alike; pairs already linked in any
    state are left alone. Returns the number of links suggested. Each distinct text is compared
    once and the suggestions joined to the feedback inside the store: memory grows with the
    distinct texts, not with the feedback."""
    item_ids, titles = _items(store)
    if not item_ids:
        return 0
    item_vectors = embedder.embed(titles)
    if by_theme:
        keys, vectors = _theme_centroids(store, embedder)
        join = "JOIN feedback_theme ft ON ft.theme_id = s.source_key JOIN feedback f ON f.id = ft.feedback_id"
    else:
        texts, vectors = _distinct_texts(store, embedder, "WHERE duplicate_of IS NULL")
        keys, join = _strs(texts, "text"), "JOIN feedback f ON f.text = s.source_key"
    found = suggest_links(keys, vectors, item_ids, item_vectors, threshold, top)
    if not found:
        return 0
    suggested = pa.table(
        {
            "source_key": strings([s.source_id for s in found]),
            "work_item_id": strings([s.work_item_id for s in found]),
            "score": pa.array([s.score for s in found], pa.float64()),
        }
    )
    now = datetime.now(UTC).replace(microsecond=0)
    with store.staged("_suggested", suggested):
        counts = land_query(
            store,
            "feedback_link",
            _SUGGESTED.format(join=join),
            [SUGGESTED_IMPORTANCE, now],
            "links",
        )
    return counts.landed + counts.updated


def _one(store: Store, table: str, ref: str, noun: str) -> str:
    rows = store.sql(
        f"SELECT id FROM {table} WHERE id = ? OR ends_with(id, ':' || ?) ORDER BY id", [ref, ref]
    )
    if not rows:
        raise NotFoundError(f"{noun} {ref!r} matches none; give its full id")
    if len(rows) > 1:
        raise UsageError(f"{noun} {ref!r} matches several; give its full id")
    return str(rows[0][0])


def item_team(store: Store, item_ref: str) -> str | None:
    """The team of the work item `item_ref` names (as `set_link` resolves it)."""
    ident = _one(store, "work_item", item_ref, "work item")
    team: str | None = store.sql("SELECT team_id FROM work_item WHERE id = ?", [ident])[0][0]
    return team


def set_link(
    store: Store, feedback_ref: str, item_ref: str, state: str, importance: int | None = None
) -> tuple[str, str]:
    """Confirm or reject a link (creating it if it was never suggested); returns its ids."""
    if state not in LINK_STATES:
        raise UsageError(f"link state {state!r}: use one of {', '.join(LINK_STATES)}")
    if importance is not None and not 0 <= importance <= 3:
        raise UsageError(f"importance {importance}: use 0 (none) to 3 (critical)")
    feedback_id = _one(store, "feedback", feedback_ref, "feedback")
    item_id = _one(store, "work_item", item_ref, "work item")
    old = store.sql(
        "SELECT importance, score, created_at FROM feedback_link "
        "WHERE feedback_id = ? AND work_item_id = ?",
        [feedback_id, item_id],
    )
    keep, score, created = old[0] if old else (SUGGESTED_IMPORTANCE, None, None)
    row = {
        "feedback_id": strings([feedback_id]),
        "work_item_id": strings([item_id]),
        "importance": pa.array([importance if importance is not None else keep], pa.int64()),
        "state": strings([state]),
        "score": pa.array([score], pa.float64()),
        "created_at": pa.array([created or datetime.now(UTC).replace(microsecond=0)], TIMESTAMP),
    }
    land(store, "feedback_link", pa.table(row), "links")
    return feedback_id, item_id


def publish_insight(
    store: Store,
    title: str,
    theme_refs: Sequence[str],
    team: str | None = None,
    summary: str | None = None,
    audience: str | None = None,
    published_at: datetime | None = None,
) -> str:
    """Publish an insight on existing themes; returns its id."""
    if not title.strip():
        raise UsageError("an insight needs a title")
    if not theme_refs:
        raise UsageError("an insight names at least one theme (--theme ID)")
    themes = [_one(store, "theme", ref, "theme") for ref in theme_refs]
    when = published_at or datetime.now(UTC).replace(microsecond=0)
    ident = f"productops:insight-{when:%Y%m%d%H%M%S}-{text_hash(title)[:6]}"
    row = {
        "id": strings([ident]),
        "team_id": strings([team]),
        "title": strings([title.strip()]),
        "summary": strings([summary]),
        "theme_ids": strings([json.dumps(themes)]),
        "audience": strings([audience]),
        "published_at": pa.array([when], TIMESTAMP),
    }
    land(store, "insight", pa.table(row), "insights")
    return ident


def spike_report(backend: BaseBackend, rule: SpikeRule) -> list[dict[str, Any]]:
    """Spikes per theme with the theme's label and the days from the spike week's start to the
    first insight published on the theme from then on (None: none yet)."""
    trend = theme_trend(backend.table("feedback"), backend.table("feedback_theme"), "week")
    spikes = find_spikes(trend.to_pyarrow().to_pylist(), rule)
    theme = backend.table("theme")
    labels = {r["id"]: r["label"] for r in theme.select("id", "label").to_pyarrow().to_pylist()}
    named = insight_themes(backend.table("insight"), backend.table("feedback_theme"))
    published: dict[str, list[datetime]] = {}
    for r in named.select("theme_id", "published_at").to_pyarrow().to_pylist():
        published.setdefault(r["theme_id"], []).append(r["published_at"])
    rows = []
    for s in spikes:
        start = s.week_start.replace(tzinfo=UTC)
        after = [p for p in published.get(s.theme_id, []) if p >= start]
        days = round((min(after) - start).total_seconds() / 86_400, 2) if after else None
        rows.append(vars(s) | {"label": labels.get(s.theme_id), "insight_days": days})
    return rows
