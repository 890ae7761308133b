"""The numbers the pages add to the services': the summary's moves, spikes read from a
window of weeks, the roadmap's organisation counts, a theme's weekly trend, the rows behind
a criterion's value, the experiment list; and analyses kept until what they read changes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from productops.ops.criteria import ORG
from productops.pillars.customer.insights import feedback_incorporated
from productops.registry.experiments import list_experiments
from productops.services.customer_overview import roadmap, spikes, theme_summaries
from productops.services.drilldown import rows_behind
from productops.services.experiment_overview import experiments
from productops.services.feedback import set_link
from productops.services.nudges import accept_nudge
from productops.services.overview import ScoreRow, _moves, overview
from productops.workspace import Workspace
from tests.web.demo_site import ME, Demo, copy_demo

LAST_QUARTER = datetime(2026, 7, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def ws(demo_site: Demo) -> Iterator[Workspace]:
    opened = Workspace.open(demo_site.root)
    yield opened
    opened.close()


def _row(criterion: str, before: float | None, now: float | None, direction: str) -> ScoreRow:
    return ScoreRow(
        criterion, criterion, "data", "%", direction, now, before, None, "no target", None, ""
    )


def test_moves_are_the_largest_relative_changes_and_say_which_way_is_better() -> None:
    rows = [
        _row("a", 10.0, 12.0, "higher"),  # +20%, better
        _row("b", 4.0, 2.0, "lower"),  # -50%, better
        _row("c", 5.0, 10.0, "lower"),  # +100%, worse
        _row("d", 3.0, 3.0, "higher"),  # no move
        _row("e", 0.0, 1.0, "higher"),  # no relative change from 0
        _row("f", None, 1.0, "higher"),
        _row("g", -2.0, -1.0, "higher"),  # +50% of |-2|, better
    ]
    found = [(m.criterion, round(m.change, 2), m.better) for m in _moves(rows)]
    assert found == [("c", 1.0, False), ("b", -0.5, True), ("g", 0.5, True)]


@pytest.mark.parametrize("since", ["2025-01-01", "2025-07-01", "2026-04-01", "2026-07-01"])
def test_spikes_from_a_window_of_weeks_are_the_whole_historys(ws: Workspace, since: str) -> None:
    start = datetime.fromisoformat(since).replace(tzinfo=UTC)
    whole = [s for s in spikes(ws) if s["week_start"] >= start]
    assert spikes(ws, start) == whole
    assert all(s["items"] > s["threshold"] for s in whole)


def test_roadmap_is_the_sum_of_the_teams(ws: Workspace) -> None:
    b = ws.store.ibis()
    per_team = (
        feedback_incorporated(
            b.table("feedback"), b.table("feedback_link"), b.table("work_item"), "quarter"
        )
        .to_pyarrow()
        .to_pylist()
    )
    for r in roadmap(ws, "quarter"):
        teams = [t for t in per_team if t["period_start"].replace(tzinfo=UTC) == r.period_start]
        assert r.linked == sum(t["linked"] for t in teams)
        assert r.incorporated == sum(t["incorporated"] for t in teams)
        assert r.feedback == teams[0]["feedback"]
        assert r.share_incorporated == pytest.approx(r.incorporated / r.feedback)


def test_a_themes_trend_counts_its_feedback_per_week(ws: Workspace) -> None:
    [theme] = theme_summaries(ws, 1)
    [(newest,)] = ws.store.sql("SELECT max(created_at) FROM feedback")
    counted = ws.store.sql(
        "SELECT count(*) FROM feedback_theme ft JOIN feedback f ON f.id = ft.feedback_id "
        "WHERE ft.theme_id = ? AND f.duplicate_of IS NULL "
        "AND f.created_at >= date_trunc('week', ?::TIMESTAMPTZ) - INTERVAL 7 WEEK",
        [theme.id, newest],
    )[0][0]
    assert sum(theme.trend) == counted
    assert len(theme.trend) == 8
    assert theme.quotes


def test_the_rows_behind_a_teams_value_are_its_items_of_the_period(ws: Workspace) -> None:
    found = rows_behind(ws, "process.time_to_market", "payments", LAST_QUARTER, "quarter")
    expected = ws.store.sql(
        "SELECT id FROM work_item WHERE team_id = 'payments' AND resolved_at >= ? "
        "AND resolved_at < ? ORDER BY resolved_at, id",
        [LAST_QUARTER, datetime(2026, 10, 1, tzinfo=UTC)],
    )
    assert [r["id"] for r in found.rows] == [i for (i,) in expected][:500]
    assert found.total == len(expected) > 0
    every = rows_behind(ws, "process.time_to_market", ORG, LAST_QUARTER, "quarter", None)
    assert every.total > found.total
    assert {r["team_id"] for r in every.rows} > {"payments"}


def test_rows_behind_a_teams_feedback_criterion_are_feedback_linked_to_its_items(
    ws: Workspace,
) -> None:
    found = rows_behind(
        ws, "customer.feedback_incorporated", "payments", LAST_QUARTER, "quarter", None
    )
    linked = ws.store.sql(
        "SELECT count(DISTINCT l.feedback_id) FROM feedback_link l JOIN work_item w "
        "ON w.id = l.work_item_id JOIN feedback f ON f.id = l.feedback_id "
        "WHERE l.state = 'confirmed' AND w.team_id = 'payments' AND f.created_at >= ? "
        "AND f.created_at < ?",
        [LAST_QUARTER, datetime(2026, 10, 1, tzinfo=UTC)],
    )[0][0]
    assert found.table == "feedback"
    assert found.total == linked > 0


def test_the_experiment_list_is_the_registrys(ws: Workspace) -> None:
    assert experiments(ws) == list_experiments(ws.store.ibis())
    assert experiments(ws, "activation") == list_experiments(ws.store.ibis(), "activation")
    assert {e["status"] for e in experiments(ws)} <= {"created", "running", "stopped", "decided"}


def test_a_kept_analysis_is_computed_again_once_a_table_it_reads_changes(
    demo_site: Demo, tmp_path: Path
) -> None:
    site = copy_demo(demo_site, tmp_path / "demo-org")
    ws = Workspace.open(site.root)
    try:
        first = overview(ws, "quarter", datetime.now(UTC))
        assert overview(ws, "quarter", datetime.now(UTC)) is first  # kept
        offered = (
            next(n for n in first.report.nudges if n.status == "offered") if first.report else None
        )
        assert offered is not None
        [ident] = [
            i for (i,) in ws.store.sql(
                "SELECT id FROM nudge WHERE team_id = ? AND rule = ? AND status = 'offered'",
                [offered.team, offered.rule],
            )
        ]  # fmt: skip
        accept_nudge(ws, ME, ident, datetime.now(UTC))
        again = overview(ws, "quarter", datetime.now(UTC))
        assert again is not first
        assert again.report is not None
        moved = [n for n in again.report.nudges if (n.team, n.rule) == (offered.team, offered.rule)]
        assert [n.status for n in moved] == ["accepted"]
        before = roadmap(ws, "quarter")
        link = ws.store.sql(
            "SELECT l.feedback_id, l.work_item_id FROM feedback_link l JOIN feedback f "
            "ON f.id = l.feedback_id WHERE l.state = 'confirmed' AND f.created_at >= ? LIMIT 1",
            [before[-1].period_start],
        )[0]
        set_link(ws, ME, link[0], link[1], "rejected")
        assert sum(r.linked for r in roadmap(ws, "quarter")) < sum(r.linked for r in before)
    finally:
        ws.close()
