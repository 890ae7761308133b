"""Activity counts, onboarding time and retrospectives on small hand-made data."""

from __future__ import annotations

from typing import Any

import pytest

from productops import ops
from productops.registry import activities as registry
from productops.registry.activities import activity_notes, log_activity
from productops.workspace import Workspace
from tests.pillars.builders import at, land, result_rows


def _activity(id: str, team: str, kind: str, held: float, **extra: Any) -> dict[str, Any]:
    return {"id": id, "team_id": team, "kind": kind, "held_at": at(held), **extra}


def test_counts_per_team_period_and_kind(with_teams: Workspace) -> None:
    land(
        with_teams.store,
        "activity",
        [
            _activity("a1", "payments", "retrospective", 1, attendees=5),
            _activity("a2", "payments", "retrospective", 15, attendees=6),
            _activity("a3", "payments", "workshop", 20),
            _activity("a4", "payments", "retrospective", 100, attendees=4),
            _activity("a5", "product", "training", 3, attendees=12),
        ],
    )
    rows = result_rows(ops.activity_counts(with_teams.backend().table("activity"), "quarter"))
    found = {(r["team_id"], r["period_start"].month, r["kind"]): r for r in rows}
    assert found[("payments", 4, "retrospective")]["activities"] == 2
    assert found[("payments", 4, "retrospective")]["attendees"] == 11
    assert found[("payments", 4, "workshop")]["attendees"] is None
    assert found[("payments", 7, "retrospective")]["activities"] == 1
    assert found[("product", 4, "training")]["activities"] == 1
    assert len(rows) == 4


def test_onboarding_days_median_per_team_and_period(with_teams: Workspace) -> None:
    land(
        with_teams.store,
        "person",
        [{"id": f"p{i}", "team_id": "payments"} for i in range(4)],
    )
    land(
        with_teams.store,
        "activity",
        [
            _activity("o1", "payments", "onboarding", 0, ended_at=at(10), person_id="p0"),
            _activity("o2", "payments", "onboarding", 5, ended_at=at(35), person_id="p1"),
            _activity("o3", "payments", "onboarding", 10, ended_at=at(30), person_id="p2"),
            _activity("o4", "payments", "onboarding", 20, person_id="p3"),  # still onboarding
            _activity("r1", "payments", "retrospective", 2, ended_at=at(2.1)),
        ],
    )
    (row,) = result_rows(ops.onboarding_time(with_teams.backend().table("activity"), "quarter"))
    assert row["team_id"] == "payments"
    assert row["members"] == 3
    assert row["median_days"] == pytest.approx(20)
    assert row["mean_days"] == pytest.approx(20)
    assert row["max_days"] == pytest.approx(30)


def test_retrospectives_count_bottlenecks_actions_and_done(with_teams: Workspace) -> None:
    notes = activity_notes("Good sprint", ["Review wait"], ["Pair on reviews", "WIP limit"])
    land(
        with_teams.store,
        "activity",
        [
            _activity("r1", "payments", "retrospective", 1, notes=notes),
            _activity("r2", "payments", "retrospective", 15, notes="Nothing special"),
            _activity(
                "r3",
                "payments",
                "retrospective",
                29,
                notes=activity_notes(None, [], ["Automate QA"], ["Pair on reviews"]),
            ),
            _activity("p1", "payments", "process_review", 30),
            _activity("w1", "payments", "workshop", 30, notes="Action: not counted"),
        ],
    )
    rows = result_rows(ops.retrospectives(with_teams.backend().table("activity"), "quarter"))
    found = {r["kind"]: r for r in rows}
    assert set(found) == {"retrospective", "process_review"}
    retro = found["retrospective"]
    assert (retro["held"], retro["with_bottleneck"], retro["actions"], retro["done"]) == (
        3,
        1,
        3,
        1,
    )
    assert retro["done_share"] == pytest.approx(1 / 3)
    assert found["process_review"]["actions"] == 0
    assert found["process_review"]["done_share"] is None


def test_logged_notes_use_the_marks_ops_counts(with_teams: Workspace) -> None:
    assert (ops.BOTTLENECK_MARK, ops.ACTION_MARK, ops.DONE_MARK) == (
        "Bottleneck: ",
        "Action: ",
        "Done: ",
    )
    assert registry.activity_notes(None, ["a"], ["b"], ["c"]) == "Bottleneck: a\nAction: b\nDone: c"
    ident = log_activity(
        with_teams.store,
        team_id="payments",
        kind="process_review",
        held_at=at(1),
        bottlenecks=["QA queue"],
        actions=["Add a tester"],
    )
    assert ident == "productops:activity-process-review-payments-20240402T0900"
    (row,) = result_rows(ops.retrospectives(with_teams.backend().table("activity")))
    assert (row["with_bottleneck"], row["actions"]) == (1, 1)
