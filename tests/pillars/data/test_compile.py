"""Each catalog metric type against values computed in plain Python on a small history."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from productops.errors import UsageError
from productops.pillars.data import compile_metric, load_catalog
from productops.pillars.data.catalog import Catalog
from productops.workspace import Workspace
from tests.pillars.builders import item, items, teams
from tests.pillars.data.usage import (
    ACCOUNTS,
    DAY,
    START,
    day,
    first_signups,
    history,
    load,
    rows_of,
    users_by,
    week,
)

ROWS = history()
SEGMENT = {a["id"]: a["segment"] for a in ACCOUNTS}
PLAN = {a["id"]: a["plan"] for a in ACCOUNTS}


@pytest.fixture
def ws(workspace: Workspace) -> Workspace:
    load(workspace.store, ROWS)
    return workspace


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def query(ws: Workspace, catalog: Catalog, name: str, **kw: Any) -> dict[Any, Any]:
    """Rows keyed by (period_start, *by) -> value."""
    by = kw.get("by", [])
    out = {}
    for r in rows_of(compile_metric(catalog, name, ws.backend().table, **kw)):
        key = (r["period_start"], *(r[b] for b in by))
        out[key if by else key[0]] = r["value"]
    return out


def test_simple_counts_per_period_and_dimension(ws: Workspace, catalog: Catalog) -> None:
    expected: dict[Any, int] = defaultdict(int)
    for r in ROWS:
        if r["name"] == "feature_used":
            expected[(week(r["ts"]), SEGMENT[r["account_id"]])] += 1
    got = query(ws, catalog, "feature_uses", by=["segment"], grain="week")
    assert got == dict(expected)


def test_where_filters_categorical_and_numeric_dimensions(ws: Workspace, catalog: Catalog) -> None:
    expected: dict[Any, set[str]] = defaultdict(set)
    for r in ROWS:
        arr = float(str(next(a["arr"] for a in ACCOUNTS if a["id"] == r["account_id"])))
        if r["user_id"] and PLAN[r["account_id"]] != "free" and arr < 10_000:
            expected[day(r["ts"]).replace(day=1)].add(r["user_id"])
    got = query(ws, catalog, "active_users", grain="month", where=["plan != free", "arr < 10000"])
    assert got == {k: len(v) for k, v in expected.items()}
    assert query(ws, catalog, "active_users", where=["segment in (nobody)"]) == {}


def test_ratio_divides_two_metrics_per_period(ws: Workspace, catalog: Catalog) -> None:
    uses: dict[datetime, int] = defaultdict(int)
    for r in ROWS:
        if r["name"] == "feature_used":
            uses[week(r["ts"])] += 1
    active = users_by(ROWS, week)
    got = query(ws, catalog, "uses_per_active_user", grain="week")
    assert got.keys() == active.keys()
    for w, users in active.items():
        assert got[w] == pytest.approx(uses[w] / len(users))


@pytest.mark.parametrize(("name", "window"), [("dau", 1), ("wau", 7), ("mau", 28)])
def test_cumulative_counts_users_in_the_window_ending_with_the_period(
    ws: Workspace, catalog: Catalog, name: str, window: int
) -> None:
    per_day = users_by(ROWS, day)
    weeks = {week(d) for d in per_day}
    expected = {}
    for w in weeks:
        end = w + 7 * DAY
        users = set().union(*(u for d, u in per_day.items() if end - window * DAY <= d < end))
        if users:
            expected[w] = len(users)
    assert query(ws, catalog, name, grain="week") == expected


def test_cumulative_without_window_runs_from_the_start(ws: Workspace, catalog: Catalog) -> None:
    per_day = users_by(ROWS, day)
    expected = {}
    for w in {week(d) for d in per_day}:
        expected[w] = len(set().union(*(u for d, u in per_day.items() if d < w + 7 * DAY)))
    got = query(ws, catalog, "users_to_date", grain="week", since=START + 14 * DAY)
    assert got == {w: n for w, n in expected.items() if w >= START + 14 * DAY}


def test_derived_evaluates_arithmetic_over_metrics(ws: Workspace, catalog: Catalog) -> None:
    dau = query(ws, catalog, "dau", grain="week")
    mau = query(ws, catalog, "mau", grain="week")
    got = query(ws, catalog, "stickiness", grain="week")
    assert got.keys() == mau.keys()
    for w in mau:  # a week whose last day had nobody active has DAU 0
        assert got[w] == pytest.approx(dau.get(w, 0) / mau[w])


def test_conversion_is_the_share_of_signups_converting_in_the_window(
    ws: Workspace, catalog: Catalog
) -> None:
    totals: dict[Any, list[int]] = defaultdict(lambda: [0, 0])
    for user, signup in first_signups(ROWS).items():
        t0 = signup["ts"]
        hit = any(
            r["user_id"] == user and r["name"] == "feature_used" and t0 <= r["ts"] <= t0 + 7 * DAY
            for r in ROWS
        )
        key = (week(t0), SEGMENT[signup["account_id"]])
        totals[key][0] += hit
        totals[key][1] += 1
    got = query(ws, catalog, "activation_rate", grain="week", by=["segment"])
    assert got.keys() == totals.keys()
    for key, (hits, n) in totals.items():
        assert got[key] == pytest.approx(hits / n)


def test_json_dimension_groups_by_a_property(ws: Workspace, catalog: Catalog) -> None:
    got = query(ws, catalog, "feature_uses", grain="quarter", by=["feature"])
    assert {k[1] for k in got} == {"export", "alerts", "search"}
    assert sum(got.values()) == sum(r["name"] == "feature_used" for r in ROWS)


def test_lens_metric_returns_the_lens_table(ws: Workspace, catalog: Catalog) -> None:
    rows = rows_of(
        compile_metric(catalog, "cohort_retention", ws.backend().table, where=["plan = pro"])
    )
    pro_users = {r["user_id"] for r in ROWS if r["user_id"] and PLAN[r["account_id"]] == "pro"}
    assert sum(r["cohort_users"] for r in rows if r["period_offset"] == 0) == len(pro_users)
    with pytest.raises(UsageError, match="lens"):
        compile_metric(catalog, "user_lifecycle", ws.backend().table, by=["segment"])


def test_delivery_metrics_over_work_items(workspace: Workspace, catalog: Catalog) -> None:
    teams(workspace.store, "payments", "growth")
    done: list[tuple[float, str, str]] = [(0, "In Progress", "in_progress"), (4, "Done", "done")]
    items(
        workspace.store,
        item("i1", "payments", 0, done, type="bug"),
        item("i2", "payments", 1, [(2, "In Progress", "in_progress"), (5, "Done", "done")]),
        item("i3", "growth", 0, [(1, "In Progress", "in_progress")]),
        item("i4", "growth", -10, [(3, "Done", "done")]),
    )
    table = workspace.backend().table
    by_team = rows_of(compile_metric(catalog, "items_done", table, by=["team"], grain="month"))
    assert {(r["team"], r["value"]) for r in by_team} == {("payments", 2), ("growth", 1)}
    p50 = rows_of(compile_metric(catalog, "lead_time_p50", table, grain="month"))
    assert [r["value"] for r in p50] == [pytest.approx(4.0)]  # median of 4, 4 and 13 days
    share = rows_of(compile_metric(catalog, "bugs_share", table, grain="month"))
    assert [r["value"] for r in share] == [pytest.approx(1 / 3)]


def test_unknown_dimensions_and_metrics_are_usage_errors(ws: Workspace, catalog: Catalog) -> None:
    table = ws.backend().table
    with pytest.raises(UsageError, match=r"--by team: .*segment"):
        compile_metric(catalog, "dau", table, by=["team"])
    with pytest.raises(UsageError, match=r"--where 'colour = red'.*allowed|dimensions: .*plan"):
        compile_metric(catalog, "dau", table, where=["colour = red"])
    with pytest.raises(UsageError, match=r"no metric 'daus'.*dau"):
        compile_metric(catalog, "daus", table)


def test_workspace_metrics_compile_with_builtin_models(ws: Workspace, tmp_path: Path) -> None:
    folder = tmp_path / "metrics"
    folder.mkdir()
    (folder / "mine.yml").write_text(
        "metrics:\n"
        "  - name: logins_per_signup\n"
        "    type: derived\n"
        "    expr: (logins - 0) / signups\n"
        "    description: Logins per new user.\n"
        "    owner: growth\n"
        "    unit: ratio\n"
        "    direction: higher\n"
        "  - name: logins\n"
        "    type: simple\n"
        "    model: events\n"
        "    measure: events\n"
        "    filter: ['event_name = login', 'platform = web']\n"
        "    description: Web logins.\n"
        "    owner: growth\n"
        "    unit: events\n"
        "    direction: higher\n",
        encoding="utf-8",
    )
    catalog = load_catalog([folder])
    got = query(ws, catalog, "logins_per_signup", grain="month")
    logins: dict[datetime, int] = defaultdict(int)
    for r in ROWS:
        if r["name"] == "login" and '"web"' in r["properties"]:
            logins[day(r["ts"]).replace(day=1)] += 1
    signups = users_by([r for r in ROWS if r["name"] == "sign_up"], lambda t: day(t).replace(day=1))
    for m, n in signups.items():
        assert got[m] == pytest.approx(logins[m] / len(n))
