"""Each lens against values computed in plain Python on a small random history."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

import pytest

from productops.pillars.data import (
    active_users,
    cohort_retention,
    feature_adoption,
    funnel,
    lifecycle,
)
from productops.workspace import Workspace
from tests.pillars.data.usage import (
    DAY,
    day,
    feature,
    first_signups,
    history,
    load,
    month,
    rows_of,
    users_by,
    week,
)

ROWS = history()


@pytest.fixture
def event(workspace: Workspace) -> Any:
    load(workspace.store, ROWS)
    return workspace.backend().table("event")


def _rows(expr: Any) -> list[dict[str, Any]]:
    return rows_of(expr)


def test_active_users_counts_dau_wau_mau_and_stickiness(event: Any) -> None:
    per_day = users_by(ROWS, day)
    got = {r["period_start"]: r for r in _rows(active_users(event))}
    assert set(got) == set(per_day)
    for d in per_day:

        def within(n: int, d: datetime = d) -> set[str]:
            return set().union(*(u for k, u in per_day.items() if d - n * DAY < k <= d))

        assert got[d]["dau"] == len(per_day[d])
        assert got[d]["wau"] == len(within(7))
        assert got[d]["mau"] == len(within(28))
        assert got[d]["stickiness"] == pytest.approx(len(per_day[d]) / len(within(28)))


def test_cohort_retention_follows_each_signup_week(event: Any) -> None:
    cohorts = {u: week(r["ts"]) for u, r in first_signups(ROWS).items()}
    active: dict[tuple[datetime, int], set[str]] = defaultdict(set)
    for r in ROWS:
        if r["user_id"] in cohorts:
            offset = (week(r["ts"]) - cohorts[r["user_id"]]).days // 7
            active[(cohorts[r["user_id"]], offset)].add(r["user_id"])
    size: dict[datetime, int] = defaultdict(int)
    for c in cohorts.values():
        size[c] += 1
    got = {(r["cohort_start"], r["period_offset"]): r for r in _rows(cohort_retention(event))}
    assert set(got) == set(active)
    for key, users in active.items():
        assert got[key]["cohort_users"] == size[key[0]]
        assert got[key]["active_users"] == len(users)
        assert got[key]["retention"] == pytest.approx(len(users) / size[key[0]])
    assert all(got[(c, 0)]["retention"] == 1 for c in size)


def _funnel_reference(steps: list[str], window: timedelta) -> dict[tuple[datetime, int], int]:
    by_user: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in sorted(ROWS, key=lambda r: r["ts"]):
        if r["user_id"] is not None:
            by_user[r["user_id"]].append(r)
    counts: dict[tuple[datetime, int], int] = defaultdict(int)
    for events in by_user.values():
        entries = [e["ts"] for e in events if e["name"] == steps[0]]
        if not entries:
            continue
        entered = last = entries[0]
        counts[(month(entered), 1)] += 1
        for i, name in enumerate(steps[1:], start=2):
            later = [
                e["ts"] for e in events if e["name"] == name and last <= e["ts"] <= entered + window
            ]
            if not later:
                break
            last = later[0]
            counts[(month(entered), i)] += 1
    return counts


@pytest.mark.parametrize("window_days", [1, 7])
def test_funnel_counts_ordered_steps_within_the_window(event: Any, window_days: int) -> None:
    steps = ["sign_up", "login", "feature_used"]
    expected = _funnel_reference(steps, timedelta(days=window_days))
    got = _rows(funnel(event, steps, window_days, "month"))
    assert {(r["period_start"], r["step"]): r["users"] for r in got} == dict(expected)
    for r in got:
        assert r["event_name"] == steps[r["step"] - 1]
        assert r["conversion"] == pytest.approx(r["users"] / expected[(r["period_start"], 1)])


def test_funnel_needs_the_steps_in_order(workspace: Workspace) -> None:
    from tests.pillars.data.usage import START, load

    def ev(i: int, hours: float, name: str) -> dict[str, Any]:
        ts = START + timedelta(hours=hours)
        return {"id": f"e{i}", "ts": ts, "user_id": "u", "account_id": "a1", "name": name}

    # feature_used before login does not count; the later one does not either (no login first).
    load(workspace.store, [ev(1, 0, "sign_up"), ev(2, 1, "feature_used"), ev(3, 2, "login")])
    got = _rows(funnel(workspace.backend().table("event"), ["sign_up", "login", "feature_used"]))
    assert [(r["step"], r["users"]) for r in got] == [(1, 1), (2, 1)]


def test_feature_adoption_is_the_share_of_active_accounts(event: Any) -> None:
    active: dict[datetime, set[str]] = defaultdict(set)
    using: dict[tuple[datetime, str], set[str]] = defaultdict(set)
    for r in ROWS:
        active[month(r["ts"])].add(r["account_id"])
        f = feature(r) if r["name"] == "feature_used" else None
        if f is not None:
            using[(month(r["ts"]), f)].add(r["account_id"])
    got = {(r["period_start"], r["feature"]): r for r in _rows(feature_adoption(event, "month"))}
    assert set(got) == set(using)
    for (m, f), accounts in using.items():
        assert got[(m, f)]["accounts"] == len(accounts)
        assert got[(m, f)]["active_accounts"] == len(active[m])
        assert got[(m, f)]["adoption"] == pytest.approx(len(accounts) / len(active[m]))


def test_lifecycle_splits_active_users_and_counts_the_dormant(event: Any) -> None:
    weeks: dict[str, set[datetime]] = defaultdict(set)
    for r in ROWS:
        if r["user_id"] is not None:
            weeks[r["user_id"]].add(week(r["ts"]))
    periods = set().union(*weeks.values())
    expected: dict[tuple[datetime, str], int] = defaultdict(int)
    for active in weeks.values():
        for w in sorted(periods):
            prev = w - 7 * DAY
            if w in active:
                status = (
                    "new" if w == min(active) else "returning" if prev in active else "resurrecting"
                )
                expected[(w, status)] += 1
            elif prev in active:
                expected[(w, "dormant")] += 1
    got = {(r["period_start"], r["status"]): r["users"] for r in _rows(lifecycle(event, "week"))}
    assert got == dict(expected)
    assert {s for _, s in got} == {"new", "returning", "resurrecting", "dormant"}
