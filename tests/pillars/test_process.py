"""Process analytics on hand-made histories whose answers are worked out by hand."""

from __future__ import annotations

from typing import Any

import pytest

from productops.pillars import process as p
from productops.workspace import Workspace
from tests.pillars.builders import DAY, HOUR, T0, at, item, items, land, result_rows, teams

IP, REV, DONE = "in_progress", "in_progress", "done"
AS_OF = at(40)


@pytest.fixture
def ws(workspace: Workspace) -> Workspace:
    teams(workspace.store, "a", "b")
    items(
        workspace.store,
        # 2 days to do, 3 in progress, 1 in review, sent back 2 more in progress, 1 review, done at day 9.
        item(
            "t:A-1",
            "a",
            0,
            [
                (2, "In Progress", IP),
                (5, "In Review", REV),
                (6, "In Progress", IP),
                (8, "In Review", REV),
                (9, "Done", DONE),
            ],
        ),
        # straight to done (skips In Progress and In Review) at day 4.
        item("t:A-2", "a", 1, [(4, "Done", DONE)]),
        # still in progress since day 10.
        item("t:A-3", "a", 3, [(10, "In Progress", IP)]),
        # B-1: 1 day in progress, 6 days in review, done at day 12; reopened? no.
        item("t:B-1", "b", 0, [(5, "In Progress", IP), (6, "In Review", REV), (12, "Done", DONE)]),
        # B-2: done at day 20, then reopened to In Progress at day 21 and done again at day 22.
        item(
            "t:B-2",
            "b",
            10,
            [
                (11, "In Progress", IP),
                (20, "Done", DONE),
                (21, "In Progress", IP),
                (22, "Done", DONE),
            ],
        ),
    )
    return workspace


def _stays(ws: Workspace) -> Any:
    b = ws.backend()
    return p.status_stays(b.table("work_item"), b.table("work_item_transition"), AS_OF)


def test_time_in_status_sums_reentries_and_counts_the_initial_status(ws: Workspace) -> None:
    rows = result_rows(p.time_in_status(_stays(ws)).order_by("work_item_id", "status"))
    a1 = {r["status"]: (r["days"], r["entries"]) for r in rows if r["work_item_id"] == "t:A-1"}
    assert a1 == {"To Do": (2.0, 1), "In Progress": (5.0, 2), "In Review": (2.0, 2)}
    a3 = {r["status"]: r["days"] for r in rows if r["work_item_id"] == "t:A-3"}
    assert a3 == {"To Do": 7.0, "In Progress": 30.0}  # open: until the as-of time


def test_flow_items_lead_and_cycle_time(ws: Workspace) -> None:
    b = ws.backend()
    rows = {
        r["work_item_id"]: r for r in result_rows(p.flow_items(b.table("work_item"), _stays(ws)))
    }
    assert (rows["t:A-1"]["lead_time_days"], rows["t:A-1"]["cycle_time_days"]) == (9.0, 7.0)
    assert rows["t:A-1"]["status_changes"] == 5
    assert (rows["t:A-2"]["lead_time_days"], rows["t:A-2"]["cycle_time_days"]) == (3.0, 0.0)
    assert rows["t:A-3"]["lead_time_days"] is None
    assert rows["t:A-3"]["cycle_time_days"] == 30.0
    assert (rows["t:B-2"]["lead_time_days"], rows["t:B-2"]["cycle_time_days"]) == (12.0, 10.0)


def test_cycle_time_percentiles_per_team(ws: Workspace) -> None:
    b = ws.backend()
    found = result_rows(p.cycle_time(p.flow_items(b.table("work_item"), _stays(ws)), "quarter"))
    a = next(r for r in found if r["team_id"] == "a")
    assert (a["items"], a["p50"], a["p95"]) == (2, 3.5, pytest.approx(6.65))


def test_wip_at_the_end_of_each_week(ws: Workspace) -> None:
    rows = result_rows(p.wip(ws.backend().table("work_item"), "week"))
    a = [(r["period_start"].date().isoformat(), r["wip"]) for r in rows if r["team_id"] == "a"]
    # A-1 started day 2 (Apr 3) and done day 9 (Apr 10); A-3 started day 10 (Apr 11), still open.
    assert a == [("2024-04-01", 1), ("2024-04-08", 1)]


def test_aging_wip_bands_against_the_team_history(ws: Workspace) -> None:
    b = ws.backend()
    rows = result_rows(p.aging_wip(p.flow_items(b.table("work_item"), _stays(ws)), AS_OF))
    assert [(r["work_item_id"], r["age_days"], r["band"]) for r in rows] == [
        ("t:A-3", 30.0, "over p95")
    ]


def test_bottleneck_is_the_wait_status_with_most_waiting(ws: Workspace) -> None:
    b = ws.backend()
    rows = result_rows(p.bottleneck(_stays(ws), b.table("work_item"), "quarter"))
    found = {r["team_id"]: r for r in rows}
    # Team b: In Review 6 days of 6 waiting; cycle = 1 + 6 (B-1) + 9 + 1 (B-2) = 17 days.
    assert found["b"]["status"] == "In Review"
    assert found["b"]["days"] == 6.0
    assert found["b"]["share_of_cycle"] == pytest.approx(6 / 17)
    # Team a: In Review 2 days of 7 days' cycle (A-2 has none).
    assert found["a"]["share_of_cycle"] == pytest.approx(2 / 7)


def test_flow_efficiency_counts_wait_statuses_and_flags_as_waiting(ws: Workspace) -> None:
    land(
        ws.store,
        "work_item_flag",
        [
            {"work_item_id": "t:A-1", "kind": "flagged", "started_at": at(3), "ended_at": at(4)},
            {
                "work_item_id": "t:A-1",
                "kind": "blocked",
                "started_at": at(5) + 12 * HOUR,
                "ended_at": at(6),
            },
        ],
    )
    b = ws.backend()
    rows = result_rows(
        p.flow_efficiency(
            _stays(ws), b.table("work_item"), b.table("work_item_flag"), AS_OF, "quarter"
        )
    )
    a = next(r for r in rows if r["team_id"] == "a")
    # cycle 7 days; waiting = 2 days in review + 1 day flagged in progress (the block is in review).
    assert (a["cycle_days"], a["waiting_days"]) == (7.0, 3.0)
    assert a["efficiency"] == pytest.approx(4 / 7)


def test_conformance_finds_skips_and_reopens(ws: Workspace) -> None:
    b = ws.backend()
    found = p.deviations(b.table("work_item"), b.table("work_item_transition"))
    kinds = sorted((r["work_item_id"], r["deviation"]) for r in result_rows(found))
    assert kinds == [
        ("t:A-1", "moved backwards"),  # In Review -> In Progress
        ("t:A-2", "skipped In Progress"),  # To Do -> Done
        ("t:A-2", "skipped In Review"),
        ("t:B-2", "reopened"),  # Done -> In Progress
        ("t:B-2", "skipped In Review"),  # In Progress -> Done, twice
        ("t:B-2", "skipped In Review"),
    ]
    shares = {
        r["team_id"]: r for r in result_rows(p.conformance(b.table("work_item"), found, "quarter"))
    }
    assert (shares["a"]["items"], shares["a"]["conforming"], shares["a"]["team_conforms"]) == (
        2,
        0,
        False,
    )
    assert (shares["b"]["items"], shares["b"]["conforming"], shares["b"]["share"]) == (2, 1, 0.5)
    deviating = p.deviating_items(b.table("work_item_transition"))
    assert sorted(r["work_item_id"] for r in result_rows(deviating)) == ["t:A-1", "t:A-2", "t:B-2"]
    same = p.conformance(b.table("work_item"), deviating, "quarter")
    assert result_rows(same) == result_rows(p.conformance(b.table("work_item"), found, "quarter"))
    allowed = p.Workflow(allowed=(("In Review", "In Progress"),))
    relaxed = result_rows(
        p.deviations(b.table("work_item"), b.table("work_item_transition"), allowed)
    )
    assert not any(
        r["deviation"] == "moved backwards" and r["work_item_id"] == "t:A-1" for r in relaxed
    )
    # The items `deviations` names, whatever the workflow: relaxed, A-1 deviates no more; with
    # QA required, B-1 (In Review -> Done) skips it.
    strict = p.Workflow(optional=())
    for flow, expected in (
        (allowed, ["t:A-2", "t:B-2"]),
        (strict, ["t:A-1", "t:A-2", "t:B-1", "t:B-2"]),
    ):
        named = p.deviations(b.table("work_item"), b.table("work_item_transition"), flow)
        assert sorted({r["work_item_id"] for r in result_rows(named)}) == expected
        some = p.deviating_items(b.table("work_item_transition"), flow)
        assert sorted(r["work_item_id"] for r in result_rows(some)) == expected


def test_cross_team_blocks_and_pairs(ws: Workspace) -> None:
    land(
        ws.store,
        "work_item_link",
        [
            {
                "from_id": "t:A-3",
                "to_id": "t:B-1",
                "type": "blocks",
            },  # A-3 open: B-1 blocked until its own end (12 days)
            {
                "from_id": "t:A-2",
                "to_id": "t:B-2",
                "type": "blocks",
            },  # A-2 done day 4, before B-2 created (day 10)
            {"from_id": "t:A-1", "to_id": "t:A-2", "type": "blocks"},  # same team: not a dependency
        ],
    )
    b = ws.backend()
    blocks = p.cross_team_blocks(b.table("work_item"), b.table("work_item_link"), AS_OF)
    rows = {r["blocked_id"]: r for r in result_rows(blocks)}
    assert set(rows) == {"t:B-1", "t:B-2"}
    assert (rows["t:B-1"]["blocked_days"], rows["t:B-1"]["delayed"]) == (12.0, True)
    assert (rows["t:B-2"]["blocked_days"], rows["t:B-2"]["delayed"]) == (0.0, False)
    pairs = result_rows(p.blocking_pairs(blocks))
    assert pairs == [
        {
            "blocking_team": "a",
            "blocked_team": "b",
            "links": 2,
            "items_delayed": 1,
            "blocked_days": 12.0,
        }
    ]
    delays = result_rows(p.dependency_delays(blocks, "quarter"))
    assert [(r["team_id"], r["items_delayed"], r["blocked_days"]) for r in delays] == [
        ("b", 1, 12.0)
    ]


def test_time_to_market_splits_insight_driven_features(ws: Workspace) -> None:
    land(
        ws.store,
        "work_item",
        [
            {
                "id": "t:F-1",
                "team_id": "a",
                "type": "story",
                "created_at": at(0),
                "released_at": at(10),
            },
            {
                "id": "t:F-2",
                "team_id": "a",
                "type": "feature",
                "created_at": at(0),
                "released_at": at(30),
            },
            {
                "id": "t:F-3",
                "team_id": "a",
                "type": "bug",
                "created_at": at(0),
                "released_at": at(2),
            },
        ],
    )
    land(
        ws.store,
        "feedback",
        [{"id": "t:fb1", "channel": "support", "text": "x", "created_at": at(0)}],
    )
    land(
        ws.store,
        "feedback_link",
        [{"feedback_id": "t:fb1", "work_item_id": "t:F-2", "state": "confirmed"}],
    )
    b = ws.backend()
    (row,) = result_rows(
        p.time_to_market(b.table("work_item"), b.table("feedback_link"), "quarter")
    )
    assert (row["features"], row["p50_days"], row["insight_features"], row["insight_p50_days"]) == (
        2,
        20.0,
        1,
        30.0,
    )


def test_dora_metrics_on_a_hand_made_release_history(workspace: Workspace) -> None:
    store = workspace.store
    teams(store, "a")
    land(
        store,
        "change",
        [
            # committed day 0, opened +2h, reviewed +4h, merged +6h; deployed day 1 (24h after commit)
            {
                "id": "t:c1",
                "team_id": "a",
                "created_at": T0 + 2 * HOUR,
                "first_commit_at": T0,
                "first_review_at": T0 + 4 * HOUR,
                "merged_at": T0 + 6 * HOUR,
            },
            {
                "id": "t:c2",
                "team_id": "a",
                "created_at": T0 + 3 * DAY,
                "first_commit_at": T0 + 2 * DAY,
                "first_review_at": T0 + 3 * DAY,
                "merged_at": T0 + 3 * DAY + 2 * HOUR,
            },
        ],
    )
    land(
        store,
        "deployment",
        [
            {
                "id": "t:d1",
                "team_id": "a",
                "environment": "production",
                "finished_at": T0 + DAY,
                "result": "success",
            },
            {
                "id": "t:d2",
                "team_id": "a",
                "environment": "Production",
                "finished_at": T0 + 4 * DAY,
                "result": "success",
            },
            {
                "id": "t:d3",
                "team_id": "a",
                "environment": "production",
                "finished_at": T0 + 4 * DAY + HOUR,
                "result": "success",
            },
            {
                "id": "t:d4",
                "team_id": "a",
                "environment": "production",
                "finished_at": T0 + 5 * DAY,
                "result": "failure",
            },
            {
                "id": "t:s1",
                "team_id": "a",
                "environment": "staging",
                "finished_at": T0 + 5 * DAY,
                "result": "success",
            },
        ],
    )
    land(
        store,
        "deployment_change",
        [
            {"deployment_id": "t:d1", "change_id": "t:c1"},
            {"deployment_id": "t:d2", "change_id": "t:c2"},
            {"deployment_id": "t:d3", "change_id": "t:c2"},
        ],
    )
    land(
        store,
        "incident",
        [
            {
                "id": "t:i1",
                "team_id": "a",
                "created_at": T0 + 4 * DAY + 2 * HOUR,
                "resolved_at": T0 + 4 * DAY + 5 * HOUR,
                "deployment_id": "t:d2",
            },
            {"id": "t:i2", "team_id": "a", "created_at": T0 + 6 * DAY, "resolved_at": T0 + 7 * DAY},
        ],
    )
    b = workspace.backend()
    (freq,) = result_rows(p.deployment_frequency(b.table("deployment"), "week"))
    assert (freq["deployments"], freq["deployment_days"], freq["per_week"], freq["band"]) == (
        3,
        2,
        2.0,
        "high",
    )
    (lead,) = result_rows(
        p.change_lead_time(
            b.table("change"), b.table("deployment"), b.table("deployment_change"), "week"
        )
    )
    # c1: 24h (coding 2, pickup 2, review 2, deploy 18); c2: 48h (24, 0, 2, 22): medians 36, 13, 1, 2, 20.
    assert (lead["changes"], lead["lead_time_hours"], lead["coding_hours"]) == (2, 36.0, 13.0)
    assert (lead["pickup_hours"], lead["review_hours"], lead["deploy_hours"], lead["band"]) == (
        1.0,
        2.0,
        20.0,
        "high",
    )
    (cfr,) = result_rows(p.change_failure_rate(b.table("deployment"), b.table("incident"), "week"))
    assert (cfr["deployments"], cfr["failed"], cfr["rate"]) == (3, 1, pytest.approx(1 / 3))
    assert cfr["band"] == "low"
    assert (
        result_rows(
            p.change_failure_rate(b.table("deployment"), b.table("incident"), "week", 2021)
        )[0]["band"]
        == "low"
    )
    (rec,) = result_rows(p.recovery_time(b.table("incident"), "week"))
    assert (rec["incidents"], rec["median_hours"], rec["band"]) == (1, 3.0, "high")


def test_forecasts_follow_the_history() -> None:
    steady = p.how_many([2] * 30, days=10)
    assert steady.values == {50: 20.0, 85: 20.0, 95: 20.0}
    assert p.when_done([2] * 30, 21).values == {50: 11.0, 85: 11.0, 95: 11.0}
    mixed = p.how_many([0, 1, 2, 3, 4], days=20, seed=1)
    assert mixed.values[95] <= mixed.values[85] <= mixed.values[50]
    assert 30 <= mixed.values[50] <= 50  # mean 2 per day
    later = p.when_done([0, 1, 2, 3, 4], 40, seed=1)
    assert later.values[50] <= later.values[85] <= later.values[95]
    assert p.when_done([0, 0, 0], 5).warning is not None
    with pytest.raises(ValueError, match="non-negative"):
        p.how_many([1, -1], days=3)
