"""Platform-usage metrics against values worked out by walking a small usage log in Python."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

import pytest

from productops.pillars.data import (
    dashboard_usage,
    search_to_open,
    self_sufficiency,
    time_to_locate,
)
from productops.workspace import Workspace
from tests.pillars.builders import at, land, teams

SECOND = 1 / 86_400
PEOPLE = [
    ("p1", "a", "pm"),
    ("p2", "a", "engineer"),
    ("p3", "a", "designer"),
    ("p4", "b", "pm"),
    ("ops1", "ops", "product_ops"),
]
# (days after T0, person, team, kind, target)
EVENTS: list[tuple[float, str | None, str | None, str, str | None]] = [
    (0, "p1", "a", "search", "churn"),
    (120 * SECOND, "p1", "a", "open", "churn_rate"),
    (1 / 24, "p1", "a", "search", "churn"),
    (1 / 24 + 60 * SECOND, "p1", "a", "search", "churn rate"),
    (1 / 24 + 100 * SECOND, "p1", "a", "open", "churn_rate"),
    (2 / 24, "p2", "a", "search", "lead"),
    (2 / 24 + 31 * 60 * SECOND, "p2", "a", "open", "lead_time"),
    (3 / 24, "p2", "a", "search", "dau"),
    (3 / 24, "p2", "a", "open", "dau"),
    (3.5 / 24, None, None, "search", "dau"),
    (4 / 24, "p4", "b", "search", "nps"),
    (7, "p1", "a", "search", "wau"),
    (7 + 600 * SECOND, "p1", "a", "open", "wau"),
    (8, "p1", "a", "page_view", "/scorecard"),
    (8.1, "ops1", "a", "query", "dau"),
    (9, "ops1", "a", "author", "dec-1"),
    (9.1, "p2", "a", "query", "wau"),
    (9.2, "p1", "a", "author", "t:i1"),
]
# (id, team, author, days after T0)
INSIGHTS = [("t:i1", "a", "p1", 9.2), ("t:i2", "a", "ops1", 2), ("t:i3", "b", "p4", 3)]


@pytest.fixture
def used(workspace: Workspace) -> Workspace:
    store = workspace.store
    teams(store, "a", "b", "ops")
    land(store, "person", [{"id": p, "team_id": t, "role": r} for p, t, r in PEOPLE])
    land(
        store,
        "usage_event",
        [
            {"id": f"u{i}", "ts": at(d), "person_id": p, "team_id": t, "kind": k, "target": x}
            for i, (d, p, t, k, x) in enumerate(EVENTS)
        ],
    )
    land(
        store,
        "insight",
        [
            {"id": i, "team_id": t, "title": i, "author_id": a, "published_at": at(d)}
            for i, t, a, d in INSIGHTS
        ],
    )
    return workspace


def _week(days: float) -> datetime:
    ts = at(days).replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
    return ts - timedelta(days=ts.weekday())


def _searches() -> list[dict[str, Any]]:
    """Each search by a known person, with the seconds to that person's next event if it is an
    open within 30 minutes."""
    out = []
    for i, (d, p, t, k, _) in enumerate(EVENTS):
        if k != "search" or p is None:
            continue
        later = [e for e in EVENTS[i + 1 :] if e[1] == p and e[3] in ("search", "open")]
        nxt = later[0] if later else None
        gap = round((nxt[0] - d) * 86_400) if nxt else None
        ok = nxt is not None and nxt[3] == "open" and gap is not None and gap <= 1800
        out.append({"team": t, "week": _week(d), "located": ok, "seconds": gap if ok else None})
    return out


def test_each_search_is_paired_with_the_next_open_within_thirty_minutes(used: Workspace) -> None:
    rows = search_to_open(used.backend().table("usage_event")).order_by("searched_at")
    got = [(r["located"], r["seconds"]) for r in rows.to_pyarrow().to_pylist()]
    assert got == [(s["located"], s["seconds"]) for s in _searches()]
    assert got[:6] == [
        (True, 120),
        (False, None),
        (True, 40),
        (False, None),
        (True, 0),
        (False, None),
    ]


def test_time_to_locate_per_team_and_week(used: Workspace) -> None:
    got = {
        (r["team_id"], r["period_start"]): r
        for r in time_to_locate(used.backend().table("usage_event"), "week")
        .to_pyarrow()
        .to_pylist()
    }
    groups: dict[tuple[str, datetime], list[dict[str, Any]]] = defaultdict(list)
    for s in _searches():
        groups[(s["team"], s["week"])].append(s)
    assert set(got) == set(groups)
    for key, searches in groups.items():
        located = sorted(s["seconds"] for s in searches if s["located"])
        row = got[key]
        assert row["searches"] == len(searches)
        assert row["located"] == len(located)
        assert row["located_share"] == pytest.approx(len(located) / len(searches))
        mid = len(located) // 2
        median = (
            None
            if not located
            else located[mid]
            if len(located) % 2
            else (located[mid - 1] + located[mid]) / 2
        )
        assert row["median_seconds"] == (pytest.approx(median) if median is not None else None)
    assert got[("a", _week(0))]["median_seconds"] == pytest.approx(40)


def test_dashboard_usage_share_of_members(used: Workspace) -> None:
    b = used.backend()
    got = {
        (r["team_id"], r["period_start"]): (r["members"], r["users"], r["usage_share"])
        for r in dashboard_usage(b.table("usage_event"), b.table("person"), "week")
        .to_pyarrow()
        .to_pylist()
    }
    members = defaultdict(set)
    for p, t, _ in PEOPLE:
        members[t].add(p)
    team_of = {p: t for p, t, _ in PEOPLE}
    weeks = {_week(d) for d, *_ in EVENTS}
    expected = {}
    for team, people in members.items():
        for week in weeks:
            users = {
                p
                for d, p, _, k, _ in EVENTS
                if p
                and team_of[p] == team
                and _week(d) == week
                and k in ("page_view", "open", "query")
            }
            expected[(team, week)] = (len(people), len(users), round(len(users) / len(people), 9))
    assert {k: (m, u, round(share, 9)) for k, (m, u, share) in got.items()} == expected
    assert got[("a", _week(0))][1] == 2
    assert got[("ops", _week(7))] == (1, 1, 1.0)


def test_self_sufficiency_counts_team_work_against_product_ops(used: Workspace) -> None:
    b = used.backend()
    got = {
        (r["team_id"], r["period_start"]): (r["items"], r["by_team"])
        for r in self_sufficiency(
            b.table("usage_event"), b.table("person"), b.table("insight"), "week"
        )
        .to_pyarrow()
        .to_pylist()
    }
    role = {p: r for p, _, r in PEOPLE}
    logged = {x for _, _, _, k, x in EVENTS if k == "author"}
    work = [(d, p, t) for d, p, t, k, _ in EVENTS if k in ("query", "author")]
    work += [(d, a, t) for i, t, a, d in INSIGHTS if i not in logged]
    expected: dict[tuple[str, datetime], list[int]] = defaultdict(lambda: [0, 0])
    for d, p, t in work:
        assert p is not None
        assert t is not None
        cell = expected[(t, _week(d))]
        cell[0] += 1
        cell[1] += role[p] != "product_ops"
    assert got == {k: tuple(v) for k, v in expected.items()}
    assert got[("a", _week(7))] == (4, 2)
