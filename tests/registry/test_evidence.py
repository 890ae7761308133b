"""Freezing a metric request: periods ended by the as-of time, rows ingested by then, the diff."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from productops.durations import Grain
from productops.pillars.data import load_catalog
from productops.registry.evidence import MetricRequest, compare, measure, period_start
from productops.workspace import Workspace
from tests.pillars.builders import at, item, items, teams


@pytest.mark.parametrize(
    ("grain", "start"),
    [
        ("day", datetime(2024, 5, 15, tzinfo=UTC)),
        ("week", datetime(2024, 5, 13, tzinfo=UTC)),
        ("month", datetime(2024, 5, 1, tzinfo=UTC)),
        ("quarter", datetime(2024, 4, 1, tzinfo=UTC)),
    ],
)
def test_period_start(grain: Grain, start: datetime) -> None:
    assert period_start(datetime(2024, 5, 15, 13, 30), grain) == start


def test_spec_round_trips() -> None:
    request = MetricRequest(
        "items_done", ("team",), "month", ("type = bug",), datetime(2024, 1, 1, tzinfo=UTC), None
    )
    assert MetricRequest.from_spec(json.dumps(request.spec())) == request


def test_compare_names_new_gone_and_moved_rows() -> None:
    then = [{"period_start": "2024-04-01T00:00:00", "team": "a", "value": 2}]
    now = [
        {"period_start": "2024-04-01T00:00:00", "team": "a", "value": 3},
        {"period_start": "2024-04-08T00:00:00", "team": "a", "value": 1},
    ]
    assert compare(then, now, ["period_start", "team"]) == [
        "2024-04-01 a: value 2 -> 3",
        "2024-04-08 a: new row",
    ]
    assert compare(now, then, ["period_start", "team"])[1] == "2024-04-08 a: row gone"


def test_measure_bounds_periods_and_keeps_groups(workspace: Workspace) -> None:
    teams(workspace.store, "a", "b")
    done = [
        (f"i{n}", team, day)
        for n, (team, day) in enumerate([("a", 1), ("b", 2), ("a", 8), ("a", 15)])
    ]
    items(
        workspace.store,
        *[item(i, t, d - 1, [(d, "Done", "done")]) for i, t, d in done],
    )
    catalog, b = load_catalog(), workspace.backend()
    now = datetime.now(UTC)
    by_team = measure(catalog, b, MetricRequest("items_done", ("team",)), now)
    assert [(r["team"], r["value"]) for r in by_team.rows] == [
        ("a", 1),
        ("b", 1),
        ("a", 1),
        ("a", 1),
    ]
    assert by_team.value is None  # one value per team: no single figure
    assert by_team.keys == ["period_start", "team"]
    # As of day 15 (a Monday), week 2 has not ended: weeks 0 and 1 only.
    early = measure(catalog, b, MetricRequest("items_done"), at(15), ingested_by=now)
    assert [r["value"] for r in early.rows] == [2, 1]
    assert early.value == 1
    until = measure(
        catalog, b, MetricRequest("items_done", until=datetime(2024, 4, 8, tzinfo=UTC)), now
    )
    assert [r["value"] for r in until.rows] == [2]
    # Rows ingested after the as-of time are left out.
    assert measure(catalog, b, MetricRequest("items_done"), at(15)).rows == []
