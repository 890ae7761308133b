"""ARR-weighted demand and theme sentiment on the hand-made history (scenario.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import ibis
import pytest

from productops.pillars.customer import demand as cd
from productops.pillars.customer.sentiment import theme_sentiment
from productops.pillars.customer.trends import theme_trend
from productops.workspace import Workspace
from tests.pillars.builders import result_rows
from tests.pillars.customer.scenario import build


@pytest.fixture
def tables(workspace: Workspace) -> Any:
    build(workspace.store)
    return workspace.backend().table


def test_theme_demand_counts_each_account_once(tables: Any) -> None:
    rows = result_rows(
        cd.theme_demand(tables("feedback"), tables("feedback_theme"), tables("account"))
    )
    # th1: f1 f3 f4 (f2 repeats f1): requesters r1 r2 r3, accounts a1 a2 (a2 churned);
    # th2: f5 (a3) and the review f6 without an account.
    assert rows == [
        {
            "theme_id": "t:th1",
            "items": 3,
            "requesters": 3,
            "accounts": 2,
            "arr": 51000.0,
            "churned_accounts": 1,
            "churned_arr": 50000.0,
        },
        {
            "theme_id": "t:th2",
            "items": 2,
            "requesters": 2,
            "accounts": 1,
            "arr": 5000.0,
            "churned_accounts": 0,
            "churned_arr": 0.0,
        },
    ]


def test_theme_demand_per_week(tables: Any) -> None:
    expr = cd.theme_demand(tables("feedback"), tables("feedback_theme"), tables("account"), "week")
    got = [(r["theme_id"], r["period_start"].day, r["items"], r["arr"]) for r in result_rows(expr)]
    # Weeks start Monday 1 and 8 April 2024: f1 f3 | f4; f5 f6.
    assert got == [("t:th1", 1, 2, 1000.0), ("t:th1", 8, 1, 50000.0), ("t:th2", 8, 2, 5000.0)]


def test_segment_demand(tables: Any) -> None:
    rows = result_rows(
        cd.segment_demand(tables("feedback"), tables("feedback_theme"), tables("account"))
    )
    got = [(r["theme_id"], r["segment"], r["accounts"], r["arr"]) for r in rows]
    assert got == [
        ("t:th1", "enterprise", 1, 50000.0),
        ("t:th1", "smb", 1, 1000.0),
        ("t:th2", "mid_market", 1, 5000.0),
    ]


def test_item_demand_sums_each_requesters_top_importance(tables: Any) -> None:
    rows = result_rows(
        cd.item_demand(tables("feedback"), tables("feedback_link"), tables("account"))
    )
    # w1: f1 (r1, 2), f3 (r2, 3), f4 (r3, 1); the repeat f2 (importance 3) is left out.
    # w2: f5 (r4, 2); f6 is only suggested.
    assert [
        (r["work_item_id"], r["items"], r["requesters"], r["accounts"], r["arr"], r["importance"])
        for r in rows
    ] == [
        ("t:w1", 3, 3, 2, 51000.0, 6),
        ("t:w2", 1, 1, 1, 5000.0, 2),
    ]
    both = cd.item_demand(
        tables("feedback"), tables("feedback_link"), tables("account"), ("confirmed", "suggested")
    )
    assert {r["work_item_id"]: r["importance"] for r in result_rows(both)}["t:w2"] == 2 + 3


def test_theme_sentiment(tables: Any) -> None:
    rows = result_rows(theme_sentiment(tables("feedback"), tables("feedback_theme")))
    th1, th2 = rows
    assert (th1["items"], th1["negative"], th1["request"], th1["positive"]) == (3, 2, 1, 0)
    assert th1["mean_sentiment"] == pytest.approx((-0.5 + 0.0 - 0.8) / 3)
    assert th1["negative_share"] == pytest.approx(2 / 3)
    assert (th1["read"], th1["read_share"], th1["unknown"]) == (3, 1.0, 0)
    # f6 has a score but no label: counted in the mean, not read, not in the shares.
    assert (th2["items"], th2["read"], th2["read_share"], th2["request"]) == (2, 1, 0.5, 1)
    assert th2["mean_sentiment"] == pytest.approx(-0.1)
    assert th2["negative_share"] == 0.0


def test_theme_sentiment_counts_a_language_not_read_apart() -> None:
    """Three items: one read negative, one in a language not read, one not scored yet."""
    feedback = ibis.memtable(
        {
            "id": ["a", "b", "c"],
            "duplicate_of": [None, None, None],
            "sentiment": [-0.6, None, None],
            "sentiment_label": ["negative", "unknown", None],
        },
        schema={
            "id": "string",
            "duplicate_of": "string",
            "sentiment": "float64",
            "sentiment_label": "string",
        },
    )
    themed = ibis.memtable({"feedback_id": ["a", "b", "c"], "theme_id": ["t", "t", "t"]})
    [row] = result_rows(theme_sentiment(feedback, themed))
    assert (row["items"], row["read"], row["unknown"], row["neutral"]) == (3, 1, 1, 0)
    assert row["read_share"] == pytest.approx(1 / 3)
    assert row["negative_share"] == 1.0
    assert row["mean_sentiment"] == pytest.approx(-0.6)


def test_theme_trend_per_week(tables: Any) -> None:
    rows = result_rows(theme_trend(tables("feedback"), tables("feedback_theme"), "week"))
    assert [(r["theme_id"], r["period_start"], r["items"], r["negative"]) for r in rows] == [
        ("t:th1", datetime(2024, 4, 1), 2, 1),
        ("t:th1", datetime(2024, 4, 8), 1, 1),
        ("t:th2", datetime(2024, 4, 8), 2, 0),
    ]
    # th2's week: f5 read, f6 not scored.
    assert [r["read_share"] for r in rows] == [1.0, 1.0, 0.5]
