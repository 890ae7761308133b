"""Decision-log metrics against counts made by hand on a small log."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from productops.pillars.data import decisions_informed, outcomes_met
from productops.workspace import Workspace
from tests.pillars.builders import at, land, teams

DECISIONS: list[dict[str, Any]] = [
    {"id": "d1", "team_id": "a", "decided_at": at(0), "outcome_met": True},
    {"id": "d2", "team_id": "a", "decided_at": at(1), "outcome_met": False},
    {"id": "d3", "team_id": "a", "decided_at": at(8), "outcome_met": False},
    {"id": "d4", "team_id": "b", "decided_at": at(2), "outcome_met": None},
    {"id": "d5", "team_id": "a", "decided_at": None, "outcome_met": None},
    {"id": "d6", "team_id": "b", "decided_at": at(3), "outcome_met": True},
    {"id": "d7", "team_id": "a", "decided_at": at(9), "outcome_met": True},
]
EVIDENCE = [("e1", "d1"), ("e2", "d3"), ("e3", "d3"), ("e4", "d4"), ("e5", "d5"), ("e6", "d7")]


@pytest.fixture
def log(workspace: Workspace) -> Workspace:
    teams(workspace.store, "a", "b")
    land(
        workspace.store,
        "decision",
        [
            {"title": r["id"], "status": "decided" if r["decided_at"] else "proposed", **r}
            for r in DECISIONS
        ],
    )
    land(
        workspace.store,
        "decision_evidence",
        [{"id": e, "decision_id": d, "kind": "metric"} for e, d in EVIDENCE],
    )
    return workspace


def _monday(ts: datetime) -> datetime:
    day = ts.replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
    return day - timedelta(days=day.weekday())


def _reference() -> dict[tuple[str, datetime], list[dict[str, Any]]]:
    cited = {d for _, d in EVIDENCE}
    groups: dict[tuple[str, datetime], list[dict[str, Any]]] = defaultdict(list)
    for r in DECISIONS:
        if r["decided_at"] is not None:
            groups[(r["team_id"], _monday(r["decided_at"]))].append(
                r | {"informed": r["id"] in cited}
            )
    return groups


def _rows(expr: Any) -> dict[tuple[str, datetime], dict[str, Any]]:
    return {(r["team_id"], r["period_start"]): r for r in expr.to_pyarrow().to_pylist()}


def test_informed_share_per_team_and_week(log: Workspace) -> None:
    b = log.backend()
    got = _rows(decisions_informed(b.table("decision"), b.table("decision_evidence"), "week"))
    expected = {
        k: {"decisions": len(v), "informed": sum(r["informed"] for r in v)}
        for k, v in _reference().items()
    }
    assert {
        k: {"decisions": r["decisions"], "informed": r["informed"]} for k, r in got.items()
    } == expected
    for k, r in got.items():
        assert r["informed_share"] == pytest.approx(
            expected[k]["informed"] / expected[k]["decisions"]
        )
    assert got[("a", _monday(at(0)))]["informed_share"] == pytest.approx(0.5)


def test_outcome_met_share_among_informed_reviewed_decisions(log: Workspace) -> None:
    b = log.backend()
    got = _rows(outcomes_met(b.table("decision"), b.table("decision_evidence"), "week"))
    expected = {}
    for k, v in _reference().items():
        reviewed = [r for r in v if r["informed"] and r["outcome_met"] is not None]
        if reviewed:
            expected[k] = (len(reviewed), sum(r["outcome_met"] for r in reviewed))
    assert {k: (r["reviewed"], r["met"]) for k, r in got.items()} == expected
    week_two = got[("a", _monday(at(8)))]
    assert week_two["outcome_met_share"] == pytest.approx(0.5)


@pytest.mark.parametrize(
    "name",
    [
        "decisions_informed",
        "outcomes_met",
        "search_to_open",
        "time_to_locate",
        "dashboard_usage",
        "self_sufficiency",
    ],
)
def test_each_metric_has_a_definition_with_a_unit(name: str) -> None:
    docs = (Path(__file__).resolve().parents[2] / "docs" / "decisions.md").read_text("utf-8")
    section = docs.split(f"### {name}\n", 1)
    assert len(section) == 2, f"docs/decisions.md has no section for {name}"
    assert "**Unit:**" in section[1].split("\n### ", 1)[0]
