"""Feedback analyses written to the store, and the `productops insights` commands, on the
hand-made history of tests/pillars/customer/scenario.py."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime

import numpy as np
import pytest
from typer.testing import CliRunner

from productops.cli import app
from productops.errors import UsageError
from productops.pillars.customer.duplicates import DuplicateRule
from productops.pillars.customer.embeddings import Matrix, fallback_embedder
from productops.registry import feedback_analysis as fa
from productops.workspace import Workspace
from tests.pillars.builders import at, land
from tests.pillars.customer.scenario import build

runner = CliRunner()


@pytest.fixture
def ws(workspace: Workspace) -> Workspace:
    build(workspace.store)
    return workspace


def test_sentiment_is_read_once_and_kept(ws: Workspace) -> None:
    land(
        ws.store,
        "feedback",
        [
            {
                "id": "g1",
                "channel": "support",
                "text": "The app keeps crashing",
                "created_at": at(1),
            },
            {"id": "g2", "channel": "support", "text": "Please add dark mode", "created_at": at(2)},
        ],
    )
    # f6 to f9 (and g1, g2) have no label yet; f1 to f5 keep theirs.
    assert fa.score_sentiment(ws.store) == 6
    got = dict(ws.store.sql("SELECT id, sentiment_label FROM feedback WHERE id LIKE 't:g%'"))
    assert got == {"t:g1": "negative", "t:g2": "request"}
    assert ws.store.sql("SELECT sentiment FROM feedback WHERE id = 't:f1'") == [(-0.5,)]
    assert fa.score_sentiment(ws.store) == 0
    assert fa.score_sentiment(ws.store, rescore=True) == 11


def test_feedback_read_before_in_a_language_not_read_becomes_unknown(ws: Workspace) -> None:
    """An item an older reader labelled in Italian is read again, once; English stays."""
    land(
        ws.store,
        "feedback",
        [
            {"id": "i1", "channel": "support", "text": "Funziona bene", "created_at": at(1)},
            {"id": "e1", "channel": "support", "text": "Works well", "created_at": at(2)},
        ],
    )
    ws.store.sql(
        "UPDATE feedback SET language = CASE WHEN id = 't:i1' THEN 'it' ELSE 'en' END, "
        "sentiment = 0.0, sentiment_label = 'neutral' WHERE id IN ('t:i1', 't:e1')"
    )
    fa.score_sentiment(ws.store)
    got = ws.store.sql(
        "SELECT id, sentiment, sentiment_label FROM feedback WHERE id IN ('t:i1', 't:e1') "
        "ORDER BY id"
    )
    assert got == [("t:e1", 0.0, "neutral"), ("t:i1", None, "unknown")]
    assert fa.score_sentiment(ws.store) == 0


def test_repeats_are_marked_and_cleared(ws: Workspace) -> None:
    land(
        ws.store,
        "feedback",
        [
            {
                "id": f"p{i}",
                "channel": "support",
                "requester_hash": "rp",
                "language": "en",
                "text": "Uploading a PDF crashes the app.",
                "created_at": at(60 + i / 24),
            }
            for i in range(3)
        ],
    )
    checked, repeats = fa.mark_duplicates(ws.store, fallback_embedder(), DuplicateRule())
    # f2 repeated f1 by hand but reads differently ("text of f2"): no longer a repeat.
    assert (checked, repeats) == (12, 2)
    rows = ws.store.sql("SELECT id, duplicate_of FROM feedback WHERE duplicate_of IS NOT NULL")
    assert sorted(rows) == [("t:p1", "t:p0"), ("t:p2", "t:p0")]


@pytest.mark.parametrize("same_requester", [True, False])
def test_repeats_read_in_small_batches_are_the_same(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch, same_requester: bool
) -> None:
    rows = [
        {
            "id": f"r{i:02d}",
            "channel": "support",
            "requester_hash": f"rq{i % 3}",
            "language": "en",
            "text": ("Uploading a PDF crashes the app.", "Dark mode please")[i % 2],
            "created_at": at(60 + i / 24),
        }
        for i in range(20)
    ]
    land(ws.store, "feedback", rows)
    rule = DuplicateRule(same_requester=same_requester)
    whole = fa.mark_duplicates(ws.store, fallback_embedder(), rule)
    marked = ws.store.sql("SELECT id, duplicate_of FROM feedback ORDER BY id")
    ws.store.sql("UPDATE feedback SET duplicate_of = NULL")
    monkeypatch.setattr(fa, "BATCH_ROWS", 2)  # groups span many batches
    assert fa.mark_duplicates(ws.store, fallback_embedder(), rule) == whole
    assert ws.store.sql("SELECT id, duplicate_of FROM feedback ORDER BY id") == marked
    assert whole[1] >= 10


def test_links_are_suggested_confirmed_and_rejected(ws: Workspace) -> None:
    land(
        ws.store,
        "feedback",
        [
            {
                "id": "g3",
                "channel": "support",
                "text": "Dark mode for the mobile app please",
                "created_at": at(3),
            }
        ],
    )
    added = fa.suggest_feedback_links(ws.store, fallback_embedder(), 0.3, 1)
    rows = ws.store.sql(
        "SELECT work_item_id, state, importance FROM feedback_link WHERE feedback_id = 't:g3'"
    )
    assert rows == [("t:w2", "suggested", 1)]
    assert added >= 1
    assert fa.suggest_feedback_links(ws.store, fallback_embedder(), 0.3, 1) == 0
    assert fa.set_link(ws.store, "g3", "w2", "confirmed", 3) == ("t:g3", "t:w2")
    assert fa.set_link(ws.store, "f1", "w2", "rejected") == ("t:f1", "t:w2")
    got = ws.store.sql(
        "SELECT feedback_id, state, importance FROM feedback_link WHERE work_item_id = 't:w2' "
        "AND feedback_id IN ('t:g3', 't:f1') ORDER BY 1"
    )
    assert got == [("t:f1", "rejected", 1), ("t:g3", "confirmed", 3)]
    with pytest.raises(UsageError, match="work item 'nope' matches none"):
        fa.set_link(ws.store, "g3", "nope", "confirmed")
    with pytest.raises(UsageError, match="importance 4"):
        fa.set_link(ws.store, "g3", "w2", "confirmed", 4)


class _Uploads:
    """Two dimensions: whether a text speaks of uploads (the scenario's f1 to f4 do), or not."""

    name, dimensions = "uploads", 2

    def embed(self, texts: Sequence[str]) -> Matrix:
        up = np.asarray([("upload" in t) or (t[-2:] in ("f1", "f3", "f4")) for t in texts])
        return np.stack([up, ~up], axis=1).astype(np.float32)


def test_theme_suggestions_link_all_of_a_themes_feedback(ws: Workspace) -> None:
    land(
        ws.store,
        "feedback",
        [{"id": "g4", "channel": "support", "text": "other words", "created_at": at(4)}],
    )
    land(ws.store, "feedback_theme", [{"feedback_id": "g4", "theme_id": "th1"}])
    # th1 (f1 f3 f4 about uploads, g4 not) is nearest w1 "Fix the upload crash" (0.95);
    # f1 f3 f4 are linked to it already. th2 is nearest w2 "Dark mode", where f5 and f6 are.
    assert fa.suggest_feedback_links(ws.store, _Uploads(), 0.9, 1, by_theme=True) == 1
    rows = ws.store.sql(
        "SELECT feedback_id, work_item_id, state, score FROM feedback_link "
        "WHERE feedback_id = 't:g4'"
    )
    assert rows == [("t:g4", "t:w1", "suggested", pytest.approx(3 / 10**0.5, abs=1e-4))]


def test_an_insight_is_published_on_known_themes(ws: Workspace) -> None:
    when = datetime(2024, 6, 1, 9, tzinfo=UTC)
    ident = fa.publish_insight(ws.store, "Crashes", ["th1"], "alpha", published_at=when)
    row = ws.store.sql("SELECT theme_ids, team_id, published_at FROM insight WHERE id = ?", [ident])
    assert row == [('["t:th1"]', "alpha", when)]
    with pytest.raises(UsageError, match="theme 'nope' matches none"):
        fa.publish_insight(ws.store, "X", ["nope"])


def test_the_insights_commands(ws: Workspace) -> None:
    root = ["-w", str(ws.root), "feedback"]
    out = runner.invoke(app, [*root, "demand", "--by", "item", "-f", "json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)[0]["importance"] == 6
    out = runner.invoke(app, [*root, "roadmap", "--grain", "month", "-f", "json"])
    assert json.loads(out.stdout)["time to insight (days)"][0]["p50_days"] == 9.0
    out = runner.invoke(app, [*root, "trends", "--theme", "t:th2", "-f", "csv"])
    assert out.stdout.splitlines()[1].startswith("t:th2,Two,2024-04-08")
    out = runner.invoke(app, [*root, "link", "f6", "w2", "--importance", "2"])
    assert out.exit_code == 0, out.output
    for command in (["spikes"], ["sentiment"], ["duplicates", "--fallback"]):
        assert runner.invoke(app, [*root, *command]).exit_code == 0, command
    out = runner.invoke(app, [*root, "demand", "--by", "colour"])
    assert out.exit_code == 1
    assert "--by 'colour'" in out.output
