"""Customer-insight metrics on the hand-made history (tests/pillars/customer/scenario.py),
each expected value worked out by hand from the rows there."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from productops.pillars.customer import insights as ci
from productops.workspace import Workspace
from tests.pillars.builders import at, land, result_rows
from tests.pillars.customer.scenario import build

APRIL, MAY, Q2 = (datetime(2024, m, 1) for m in (4, 5, 4))


@pytest.fixture
def tables(workspace: Workspace) -> Any:
    build(workspace.store)
    return workspace.backend().table


def test_feedback_linked_counts_originals_with_a_confirmed_link(tables: Any) -> None:
    rows = result_rows(ci.feedback_linked(tables("feedback"), tables("feedback_link"), "month"))
    # April: f1 f3 f4 f5 f6 f7 (f2 repeats f1); f1 f3 f4 f5 confirmed; May: f8, f9.
    assert rows == [
        {"period_start": APRIL, "feedback": 6, "linked": 4, "share_linked": pytest.approx(4 / 6)},
        {"period_start": MAY, "feedback": 2, "linked": 0, "share_linked": 0.0},
    ]


def test_feedback_incorporated_per_team(tables: Any) -> None:
    expr = ci.feedback_incorporated(
        tables("feedback"), tables("feedback_link"), tables("work_item"), "month"
    )
    assert result_rows(expr) == [
        {
            "team_id": "alpha",
            "period_start": APRIL,
            "feedback": 6,
            "linked": 3,
            "incorporated": 3,
            "share_linked": 0.5,
            "share_incorporated": 0.5,
        },
        {
            "team_id": "beta",
            "period_start": APRIL,
            "feedback": 6,
            "linked": 1,
            "incorporated": 0,
            "share_linked": pytest.approx(1 / 6),
            "share_incorporated": 0.0,
        },
    ]


def test_insight_coverage_takes_the_first_insight_after_each_feedback(tables: Any) -> None:
    expr = ci.insight_coverage(tables("feedback"), tables("feedback_theme"), tables("insight"))
    got = {r["feedback_id"]: (r["insight_id"], r["days"]) for r in result_rows(expr)}
    # i3 is unpublished; "thX" names no theme with feedback.
    assert got == {
        "t:f1": ("t:i1", 12.0),
        "t:f3": ("t:i1", 9.0),
        "t:f4": ("t:i1", 4.0),
        "t:f5": ("t:i2", 21.0),
        "t:f6": ("t:i2", 20.0),
    }


def test_insight_coverage_takes_an_earlier_insight_and_the_least_id_on_a_tie(
    workspace: Workspace, tables: Any
) -> None:
    more = {"theme_ids": '["t:th1"]', "title": "More"}
    apart = {"theme_ids": '["t:th2"]', "title": "Apart", "team_id": "alpha"}
    land(
        workspace.store,
        "insight",
        [
            {"id": "i0", "team_id": "beta", "published_at": at(12), **more},  # i1's moment
            {"id": "i4", "team_id": "alpha", "published_at": at(5), **more},
            # 0.6 s apart, across a second's edge: the earlier one has the greater id
            {"id": "i8", "published_at": at(20) + timedelta(seconds=0.6), **apart},
            {"id": "i7", "published_at": at(20) + timedelta(seconds=1.2), **apart},
        ],
    )
    expr = ci.insight_coverage(tables("feedback"), tables("feedback_theme"), tables("insight"))
    got = {
        r["feedback_id"]: (r["insight_id"], r["team_id"], round(r["days"], 3))
        for r in result_rows(expr)
    }
    assert got == {
        "t:f1": ("t:i4", "alpha", 5.0),  # received on day 0
        "t:f3": ("t:i4", "alpha", 2.0),  # day 3
        "t:f4": ("t:i0", "beta", 4.0),  # day 8: after i4; i0 and i1 at once, i0 the least id
        "t:f5": ("t:i8", "alpha", 11.0),  # day 9: i8 before i7 and i2
        "t:f6": ("t:i8", "alpha", 10.0),
    }


def test_time_to_insight_median_per_team_and_month(tables: Any) -> None:
    expr = ci.time_to_insight(tables("feedback"), tables("feedback_theme"), tables("insight"))
    rows = result_rows(expr)
    assert [(r["team_id"], r["period_start"], r["insights"], r["feedback"]) for r in rows] == [
        ("alpha", APRIL, 1, 3),
        ("beta", MAY, 1, 2),
    ]
    assert [r["p50_days"] for r in rows] == [9.0, 20.5]


def test_insight_time_to_market(tables: Any) -> None:
    expr = ci.insight_time_to_market(
        tables("feedback"),
        tables("feedback_link"),
        tables("work_item"),
        tables("feedback_theme"),
        tables("insight"),
    )
    # w1: first linked feedback f1 on day 0, insight i1 on day 12, released on day 40.
    assert result_rows(expr) == [
        {
            "team_id": "alpha",
            "period_start": Q2,
            "items": 1,
            "p50_days_from_feedback": 40.0,
            "insight_items": 1,
            "p50_days_from_insight": 28.0,
        },
    ]


def test_feature_satisfaction_before_and_after_release(tables: Any) -> None:
    expr = ci.feature_satisfaction(tables("feedback"), tables("feedback_link"), tables("work_item"))
    (row,) = result_rows(expr)
    # Accounts a1, a2 of w1 (released day 40). Before: f1 f3 f4 f7 (CSAT 2 -> 0.25);
    # after: f8 (NPS 9 -> 0.9), f9 (CSAT 5 -> 1.0).
    assert row == {
        "team_id": "alpha",
        "period_start": Q2,
        "items": 1,
        "accounts": 2,
        "ratings_before": 1,
        "ratings_after": 2,
        "satisfaction_before": 0.25,
        "satisfaction_after": pytest.approx(0.95),
        "sentiment_before": pytest.approx((-0.5 + 0.0 - 0.8 - 0.4) / 4),
        "sentiment_after": pytest.approx(0.7),
    }


def test_every_customer_metric_has_a_definition_with_a_unit() -> None:
    from pathlib import Path

    from productops.pillars.customer import demand

    docs = (Path(__file__).resolve().parents[3] / "docs" / "customer-insights.md").read_text(
        encoding="utf-8"
    )
    names = [n for n in (*ci.__all__, *demand.__all__) if n != "insight_themes"]
    names += ["theme_sentiment", "theme_trend", "sentiment", "spikes", "duplicates", "links"]
    for name in names:
        section = docs.split(f"### {name}\n", 1)
        assert len(section) == 2, f"docs/customer-insights.md has no section for {name}"
        assert "**Unit:**" in section[1].split("\n### ", 1)[0], name


def test_feedback_after_a_release_does_not_drive_it(workspace: Workspace) -> None:
    build(workspace.store)
    land(
        workspace.store,
        "work_item",
        [{"id": "w3", "team_id": "alpha", "created_at": at(1), "released_at": at(35)}],
    )
    land(
        workspace.store,
        "feedback",
        [{"id": "late", "channel": "support", "text": "x", "created_at": at(41)}],
    )
    land(
        workspace.store,
        "feedback_link",
        [{"feedback_id": "late", "work_item_id": "w3", "importance": 1, "state": "confirmed"}],
    )
    t = workspace.backend().table
    expr = ci.insight_time_to_market(
        t("feedback"), t("feedback_link"), t("work_item"), t("feedback_theme"), t("insight")
    )
    # w3's only feedback came after its release: only w1 counts.
    assert [(r["items"], r["p50_days_from_feedback"]) for r in result_rows(expr)] == [(1, 40.0)]
