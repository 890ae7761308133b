"""Feedback landed again (a re-import, a connector re-sync or replay) keeps what productops
derived from it while its text is unchanged, and clears it where the text changed."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from productops.config import ZendeskSettings
from productops.connectors import FEEDBACK_FILES
from productops.connectors.feedback_files import FEEDBACK_KINDS
from productops.ingest import landing
from productops.pillars.customer.duplicates import DuplicateRule
from productops.pillars.customer.embeddings import fallback_embedder
from productops.registry import feedback_analysis as fa
from productops.registry.themes import discover_themes
from productops.schema import TABLES
from productops.sync import SyncReport, import_rows, sync_source
from productops.workspace import Workspace
from tests.connectors.fixtures import configure
from tests.connectors.test_zendesk import EXPORT
from tests.pillars.builders import T0, land, teams
from tests.pillars.customer.test_themes import CRASH, DARK

# Two themes' worth of texts; the last row pastes the first crash report again.
TEXTS = [*DARK, *CRASH, CRASH[0]]
DERIVED = "id, text_hash, sentiment, sentiment_label, duplicate_of"


def _write(path: Path, texts: list[str]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["id", "text", "created_at", "email", "language"])
        for i, text in enumerate(texts):
            who = "same@example.org" if i in (6, 12) else f"user{i}@example.org"
            writer.writerow([f"r{i:02}", text, f"2024-04-0{1 + i // 6}T09:0{i % 6}:00Z", who, "en"])
    return path


def _import(ws: Workspace, path: Path) -> tuple[int, int, int, int]:
    report: SyncReport = import_rows(
        ws.store, ws.root, FEEDBACK_FILES["generic"], FEEDBACK_KINDS["generic"], path
    )
    row = next(r for r in report.rows() if r["table"] == "feedback")
    return row["landed"], row["updated"], row["unchanged"], row["quarantined"]


def _state(ws: Workspace) -> dict[str, list[tuple[Any, ...]]]:
    sql = ws.store.sql
    return {
        "feedback": sql(f"SELECT {DERIVED}, ingested_at FROM feedback ORDER BY id"),
        "feedback_theme": sql("SELECT * FROM feedback_theme ORDER BY ALL"),
        "feedback_link": sql("SELECT * FROM feedback_link ORDER BY ALL"),
        "theme": sql("SELECT * FROM theme ORDER BY ALL"),
    }


@pytest.fixture
def analysed(workspace: Workspace, tmp_path: Path) -> Workspace:
    """Feedback imported, then scored, de-duplicated, themed and linked to a work item."""
    assert _import(workspace, _write(tmp_path / "feedback.csv", TEXTS)) == (13, 0, 0, 0)
    store, embedder = workspace.store, fallback_embedder()
    assert fa.score_sentiment(store) == 13
    assert fa.mark_duplicates(store, embedder, DuplicateRule()) == (13, 1)
    runs = discover_themes(store, embedder, T0)
    assert [(r.feedback, r.themes, r.outliers) for r in runs] == [(13, 2, 0)]
    teams(store, "alpha")
    land(store, "work_item", [{"id": "w1", "team_id": "alpha", "created_at": T0}])
    fa.set_link(store, "r01", "w1", "confirmed", 3)
    return workspace


def test_same_rows_again_change_nothing(analysed: Workspace, tmp_path: Path) -> None:
    before = _state(analysed)
    assert analysed.store.sql(
        "SELECT count(*) FROM feedback WHERE sentiment_label IS NULL OR sentiment IS NULL"
    ) == [(0,)]
    assert analysed.store.sql("SELECT id, duplicate_of FROM feedback WHERE duplicate_of NOT NULL")
    assert _import(analysed, _write(tmp_path / "again.csv", TEXTS)) == (0, 0, 13, 0)
    assert _state(analysed) == before
    assert fa.score_sentiment(analysed.store) == 0


def test_changed_text_clears_only_its_derived_values(analysed: Workspace, tmp_path: Path) -> None:
    before = _state(analysed)
    changed = [*TEXTS[:-1], "the export to excel is missing a column"]
    assert _import(analysed, _write(tmp_path / "changed.csv", changed)) == (0, 1, 12, 0)
    after = _state(analysed)
    old, new = before["feedback"][-1], after["feedback"][-1]
    assert old[0] == new[0] == "feedback-csv:r12"
    assert old[3:5] == ("negative", "feedback-csv:r06")
    assert new[1] != old[1]
    assert new[2:5] == (None, None, None)
    assert after["feedback"][:-1] == before["feedback"][:-1]
    # Assignments and links are rows of their own tables: the next runs redo or keep them.
    for table in ("feedback_theme", "feedback_link", "theme"):
        assert after[table] == before[table]
    assert fa.score_sentiment(analysed.store) == 1
    assert fa.mark_duplicates(analysed.store, fallback_embedder(), DuplicateRule()) == (13, 0)


def test_a_connector_replay_keeps_the_sentiment(workspace: Workspace, tmp_path: Path) -> None:
    objects = [*EXPORT["organizations"], *EXPORT["users"], *EXPORT["tickets"]]
    path = tmp_path / "zendesk.jsonl"
    path.write_text("\n".join(json.dumps(o) for o in objects) + "\n", encoding="utf-8")
    configure(workspace, zendesk=ZendeskSettings())
    store, connectors = workspace.store, workspace.config.connectors
    sync_source(store, connectors, workspace.root, "zendesk", files=[path])
    assert fa.score_sentiment(store) == 5
    before = _state(workspace)
    again = sync_source(store, connectors, workspace.root, "zendesk", replay=True)
    assert [r["unchanged"] for r in again.rows() if r["table"] == "feedback"] == [5]
    assert _state(workspace) == before
    assert fa.score_sentiment(store) == 0


def test_an_interrupted_reland_leaves_the_rows_as_they_were(
    analysed: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The run stops (an exception, as a kill would) after its rows were upserted, inside the
    transaction; the SIGKILL case is tests/ingest/test_killed_import.py's."""
    before = _state(analysed)
    upsert = landing._upsert

    def upsert_then_stop(*args: Any) -> tuple[int, int, int]:
        upsert(*args)
        raise KeyboardInterrupt

    monkeypatch.setattr(landing, "_upsert", upsert_then_stop)
    changed = [*TEXTS[:-1], "the export to excel is missing a column"]
    with pytest.raises(KeyboardInterrupt):
        _import(analysed, _write(tmp_path / "changed.csv", changed))
    assert _state(analysed) == before


def test_derived_columns_name_a_column_of_their_table() -> None:
    derived = {
        (t.name, c.name, c.derived_from)
        for t in TABLES.values()
        for c in t.columns
        if c.derived_from
    }
    assert {(t, c) for t, c, _ in derived} >= {
        ("feedback", "sentiment"),
        ("feedback", "sentiment_label"),
        ("feedback", "duplicate_of"),
    }
    for table, _, basis in derived:
        assert basis in TABLES[table].column_names
