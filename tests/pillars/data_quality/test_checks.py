"""Each check kind against values computed here, independently, on small hand-made data."""

from __future__ import annotations

import statistics
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from productops.pillars.data import load_catalog
from productops.pillars.data.checks_run import Outcome, period_bounds, run_check
from productops.pillars.data.quality import Check
from productops.workspace import Workspace
from tests.pillars.builders import DAY, HOUR, T0, at, land, teams

ACCOUNTS: list[dict[str, Any]] = [
    {"id": "a1", "segment": "smb", "arr": 100.0, "domain": "x.com"},
    {"id": "a2", "segment": "smb", "arr": -5.0, "domain": "x.com"},
    {"id": "a3", "segment": None, "arr": None, "domain": None},
    {"id": "a4", "segment": "weird", "arr": 50.0, "domain": None},
    {"id": "a5", "segment": "enterprise", "arr": 900.0, "domain": "y.com"},
]
# Events per day: seven baseline days, then the observed day (index 7), hourly from midnight.
DAILY = [5, 6, 5, 6, 5, 6, 5]
MIDNIGHT = T0 - 9 * HOUR


@pytest.fixture
def ws(workspace: Workspace) -> Workspace:
    land(workspace.store, "account", ACCOUNTS)
    land(
        workspace.store,
        "feedback",
        [
            {"id": "f1", "channel": "nps", "text": "ok", "created_at": T0, "account_id": "a1"},
            {"id": "f2", "channel": "nps", "text": "ok", "created_at": T0, "account_id": "zz"},
            {"id": "f3", "channel": "nps", "text": "ok", "created_at": T0},
        ],
    )
    return workspace


def _events(ws: Workspace, observed: int) -> None:
    rows = []
    for day, count in enumerate([*DAILY, observed]):
        rows += [
            {"id": f"e{day}-{i}", "ts": MIDNIGHT + day * DAY + i * HOUR, "name": "login"}
            for i in range(count)
        ]
    land(ws.store, "event", rows)


def run(ws: Workspace, kind: str, target: str, as_of: datetime = T0, **params: Any) -> Outcome:
    check = Check(id="c", kind=kind, target=target, params=params)
    return run_check(check, ws.backend().table, as_of, catalog=load_catalog())


def test_freshness_is_the_age_of_the_newest_value(ws: Workspace) -> None:
    _events(ws, 3)
    newest = MIDNIGHT + 7 * DAY + 2 * HOUR
    as_of = newest + 30 * HOUR
    assert run(ws, "freshness", "event", as_of, column="ts", max_age_hours=29).status == "error"
    found = run(ws, "freshness", "event", as_of, column="ts", max_age_hours=31)
    assert (found.status, found.observed) == ("pass", 30.0)


def test_freshness_fails_without_rows(workspace: Workspace) -> None:
    found = run(workspace, "freshness", "event", T0, column="ts", max_age_hours=1)
    assert (found.status, found.observed) == ("error", None)


def test_volume_compares_the_last_full_day_with_the_days_before(ws: Workspace) -> None:
    _events(ws, 20)
    as_of = at(8) + 3 * HOUR  # during the day after the observed one
    found = run(ws, "volume", "event", as_of, column="ts", periods=7)
    z = (20 - statistics.fmean(DAILY)) / statistics.stdev(DAILY)
    assert found.status == "error"
    assert found.observed == 20
    assert found.details["z"] == pytest.approx(z)
    assert found.details["period_start"] == (MIDNIGHT + 7 * DAY).isoformat()


def test_volume_passes_within_the_baseline_and_by_relative_deviation(ws: Workspace) -> None:
    _events(ws, 6)
    as_of = at(8)
    assert run(ws, "volume", "event", as_of, column="ts").status == "pass"
    rel = abs(6 - statistics.fmean(DAILY)) / statistics.fmean(DAILY)
    found = run(ws, "volume", "event", as_of, column="ts", max_relative=0.05)
    assert found.details["relative_deviation"] == pytest.approx(rel)
    assert found.status == ("error" if rel > 0.05 else "pass")


def test_volume_counts_empty_days_as_zero(ws: Workspace) -> None:
    _events(ws, 5)
    found = run(ws, "volume", "event", at(30), column="ts", periods=3)
    assert found.observed == 0
    assert found.status == "pass"


def test_period_bounds_follow_the_calendar() -> None:
    starts = period_bounds(datetime(2026, 5, 20, 8, tzinfo=UTC), "month", 2)
    assert [s.month for s in starts] == [3, 4, 5]
    assert starts[0].day == 1
    weeks = period_bounds(datetime(2026, 5, 20, 8, tzinfo=UTC), "week", 1)
    assert [s.weekday() for s in weeks] == [0, 0]
    assert weeks[1] - weeks[0] == timedelta(days=7)


def test_schema_drift_against_the_last_seen_schema(ws: Workspace) -> None:
    check = Check(id="s", kind="schema", target="account")
    table = ws.backend().table
    first = run_check(check, table, T0)
    assert (first.status, first.observed) == ("pass", 0)
    seen = dict(first.details["schema"])
    assert run_check(check, table, T0, previous={"schema": seen}).observed == 0
    del seen["arr"]
    seen["old_col"] = "string"
    seen["name"] = "int64"
    found = run_check(check, table, T0, previous={"schema": seen})
    assert (found.status, found.observed) == ("error", 3)
    assert (found.details["added"], found.details["removed"], found.details["changed"]) == (
        ["arr"],
        ["old_col"],
        ["name"],
    )


def test_not_null_counts_rows_and_names_their_keys(ws: Workspace) -> None:
    found = run(ws, "not_null", "account", column="segment")
    nulls = sorted(a["id"] for a in ACCOUNTS if a["segment"] is None)
    assert (found.status, found.observed, found.details["failing_keys"]) == ("error", 1, nulls)
    assert run(ws, "not_null", "account", column="id").status == "pass"


def test_unique_counts_repeated_values_leaving_out_nulls(ws: Workspace) -> None:
    domains = [a["domain"] for a in ACCOUNTS if a["domain"] is not None]
    repeated = sorted({d for d in domains if domains.count(d) > 1})
    found = run(ws, "unique", "account", columns=["domain"])
    assert (found.observed, found.details["failing_keys"]) == (len(repeated), repeated)
    both = run(ws, "unique", "account", columns=["domain", "segment"])
    assert both.details["failing_keys"] == ["x.com|smb"]
    assert run(ws, "unique", "account", columns=["id"]).status == "pass"


def test_accepted_values_ignore_nulls(ws: Workspace) -> None:
    found = run(ws, "accepted_values", "account", column="segment", values=["smb", "enterprise"])
    assert (found.observed, found.details["failing_keys"]) == (1, ["a4"])
    all_ = run(
        ws, "accepted_values", "account", column="segment", values=["smb", "enterprise", "weird"]
    )
    assert all_.status == "pass"


def test_relationships_find_keys_pointing_nowhere(ws: Workspace) -> None:
    found = run(ws, "relationships", "feedback", column="account_id", to="account")
    assert (found.observed, found.details["failing_keys"]) == (1, ["t:f2"])
    assert found.summary == "1 rows whose account_id is not in account"


def test_range_with_min_and_max(ws: Workspace) -> None:
    arr = {a["id"]: a["arr"] for a in ACCOUNTS if a["arr"] is not None}
    found = run(ws, "range", "account", column="arr", min=0, max=500)
    outside = sorted(k for k, v in arr.items() if v < 0 or v > 500)
    assert (found.observed, found.details["failing_keys"]) == (len(outside), outside)
    assert run(ws, "range", "account", column="arr", min=-10).status == "pass"


def test_range_of_a_catalog_metric_per_period(workspace: Workspace) -> None:
    teams(workspace.store, "a")
    done = {"status_category": "done", "status": "Done", "team_id": "a"}
    land(
        workspace.store,
        "work_item",
        [{"id": f"w{i}", "created_at": T0, "resolved_at": at(i * 10), **done} for i in range(4)],
    )
    # resolved on days 0, 10, 20 (April 2024) and 30 (May 2024): 3 then 1 per month
    found = run(workspace, "range", "metric:items_done", max=2, grain="month")
    assert (found.status, found.observed, found.details["failing_keys"]) == (
        "error",
        1,
        ["2024-04-01"],
    )


def test_a_failing_warn_check_reports_warn(ws: Workspace) -> None:
    check = Check(
        id="w", kind="not_null", target="account", params={"column": "arr"}, severity="warn"
    )
    assert run_check(check, ws.backend().table, T0).status == "warn"


def test_volume_of_a_catalog_metric(workspace: Workspace) -> None:
    teams(workspace.store, "a")
    done = {"status_category": "done", "status": "Done", "team_id": "a"}
    per_day = [2, 3, 2, 9]  # items done on days 0-2 (baseline), then day 3 (observed)
    land(
        workspace.store,
        "work_item",
        [
            {"id": f"w{d}-{i}", "created_at": T0, "resolved_at": at(d), **done}
            for d, n in enumerate(per_day)
            for i in range(n)
        ],
    )
    found = run(workspace, "volume", "metric:items_done", at(4), periods=3, max_relative=1.0)
    mean = statistics.fmean(per_day[:3])
    assert found.observed == 9
    assert found.details["relative_deviation"] == pytest.approx((9 - mean) / mean)
    assert found.status == "error"
