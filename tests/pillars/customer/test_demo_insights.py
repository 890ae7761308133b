"""On the demo organisation: its spike is found, its pasted repeats are marked, the spiking
theme's insight is measured and complaints read as complaints. Feedback is assigned to the
planted themes by their manifest keywords (the demo lands no themes; discovery is tested
elsewhere), under the ids the demo's insights use."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa
import pytest

from productops.demo import build_demo
from productops.demo.customers import theme_id
from productops.demo.text import NEGATIVE, REQUEST, THEMES
from productops.ingest import land_arrow
from productops.pillars.customer.duplicates import DuplicateRule
from productops.pillars.customer.embeddings import fallback_embedder
from productops.pillars.customer.insights import insight_coverage
from productops.pillars.customer.trends import SpikeRule, find_spikes, theme_trend
from productops.registry.feedback_analysis import mark_duplicates, score_sentiment, spike_report
from productops.schema import TABLES
from productops.workspace import Workspace

Demo = tuple[Workspace, dict[str, Any]]


def _keyword_themes(ws: Workspace, manifest: dict[str, Any]) -> None:
    ids: list[str] = []
    themes: list[str] = []
    for index, theme in enumerate(manifest["themes"]):
        where = " OR ".join("contains(lower(text), ?)" for _ in theme["keywords"])
        found = ws.store.sql(f"SELECT id FROM feedback WHERE {where}", theme["keywords"])
        ids += [r[0] for r in found]
        themes += [theme_id(index)] * len(found)
    data = pa.table({"feedback_id": pa.array(ids), "theme_id": pa.array(themes)})
    land_arrow(ws.store, TABLES["feedback_theme"], data, source="test", label="keywords")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    ws = Workspace.init(tmp_path_factory.mktemp("demo") / "ws")
    build_demo(ws.store, ws.manifest_path)
    manifest = json.loads(ws.manifest_path.read_text(encoding="utf-8"))
    _keyword_themes(ws, manifest)
    yield ws, manifest
    ws.close()


def test_the_planted_spike_stands_out(demo: Demo) -> None:
    ws, manifest = demo
    b = ws.backend()
    rows = theme_trend(b.table("feedback"), b.table("feedback_theme"), "week").to_pyarrow()
    spikes = find_spikes(rows.to_pylist(), SpikeRule())
    planted = manifest["spike"]
    top = max(spikes, key=lambda s: s.ratio)
    assert (top.theme_id, top.week_start.date().isoformat()) == (
        _spike_theme(manifest),
        planted["week_start"],
    )
    assert top.items >= planted["spike_count"] - 5  # pasted repeats marked by another test
    # Volume grows over the two years, so a trailing median lags: a few chance weeks pass too,
    # out of about 1,200 theme-weeks.
    assert len(spikes) <= 4


def _spike_theme(manifest: dict[str, Any]) -> str:
    names = [t["name"] for t in manifest["themes"]]
    return theme_id(names.index(manifest["spike"]["theme"]))


def test_the_spiking_theme_gets_its_insight(demo: Demo) -> None:
    ws, manifest = demo
    planted = manifest["spike"]
    report = spike_report(ws.backend(), SpikeRule())
    (row,) = [r for r in report if r["theme_id"] == _spike_theme(manifest)]
    assert row["insight_days"] == planted["insight_days"]
    b = ws.backend()
    cover = insight_coverage(b.table("feedback"), b.table("feedback_theme"), b.table("insight"))
    ft = b.table("feedback_theme")
    spiking = ft.filter(ft.theme_id == _spike_theme(manifest)).select("feedback_id")
    start = datetime.fromisoformat(planted["week_start"]).replace(tzinfo=UTC)
    week = cover.join(spiking, "feedback_id")
    week = week.filter((week.created_at >= start) & (week.created_at < start + timedelta(days=7)))
    got = week.to_pandas()
    assert len(got) >= planted["spike_count"] - 5
    assert got.insight_id.nunique() == 1
    assert 2.5 < got.days.min() < got.days.max() <= planted["insight_days"]


def test_pasted_repeats_are_marked(demo: Demo) -> None:
    ws, manifest = demo
    checked, repeats = mark_duplicates(ws.store, fallback_embedder(), DuplicateRule())
    assert checked == manifest["row_counts"]["feedback"]
    # Exact repeats by the same person within a week: each must be marked.
    exact = {
        r[0]
        for r in ws.store.sql(
            "SELECT b.id FROM feedback a JOIN feedback b ON a.requester_hash = b.requester_hash "
            "AND a.text = b.text AND a.language = b.language AND (a.created_at, a.id) < "
            "(b.created_at, b.id) AND b.created_at - a.created_at <= INTERVAL 7 DAY"
        )
    }
    marked = {r[0] for r in ws.store.sql("SELECT id FROM feedback WHERE duplicate_of IS NOT NULL")}
    # The manifest counts every (requester, text) repeat, also those weeks apart, which are
    # new feedback; the pasted ones, hours apart, are about 120 x 0.85 copies.
    planted = manifest["duplicates"]["items"] - manifest["duplicates"]["groups"]
    assert exact == marked
    assert len(marked) == repeats
    assert 0.75 * planted <= repeats <= planted
    # Marking again changes nothing.
    assert mark_duplicates(ws.store, fallback_embedder(), DuplicateRule()) == (checked, repeats)


def test_complaints_and_requests_read_as_planted(demo: Demo) -> None:
    ws, _ = demo
    assert score_sentiment(ws.store) > 0
    rows = ws.store.sql(
        "SELECT ft.theme_id, f.sentiment_label, count(*) FROM feedback f "
        "JOIN feedback_theme ft ON ft.feedback_id = f.id GROUP BY ALL"
    )
    want = {
        theme_id(i): ("negative" if t.tone == NEGATIVE else "request") for i, t in enumerate(THEMES)
    }
    assert {t.tone for t in THEMES} == {NEGATIVE, REQUEST}
    right = sum(n for theme, label, n in rows if want[theme] == label)
    total = sum(n for _, _, n in rows)
    assert right / total >= 0.9
