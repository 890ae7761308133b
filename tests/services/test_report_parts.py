"""Demand by ARR and experiment results as the report shows them, on hand-made rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from productops.services.demand import demand_by_arr
from productops.services.experiment_results import experiment_results
from productops.workspace import Workspace
from tests.pillars.builders import land

Q3, Q4 = datetime(2025, 7, 1, tzinfo=UTC), datetime(2025, 10, 1, tzinfo=UTC)


def test_demand_by_arr_counts_each_account_once(workspace: Workspace) -> None:
    churned = datetime(2025, 12, 1, tzinfo=UTC)
    land(
        workspace.store,
        "account",
        [{"id": "a1", "arr": 100.0}, {"id": "a2", "arr": 50.0, "churned_at": churned},
         {"id": "a3", "arr": 10.0}],
    )  # fmt: skip
    asked = [  # (feedback, theme, account, requester, when)
        ("f1", "t1", "a1", "r1", Q4),
        ("f2", "t1", "a1", "r1", Q4 + timedelta(days=3)),  # the same account and person again
        ("f3", "t1", "a2", "r2", Q4 + timedelta(days=9)),
        ("f4", "t2", "a3", "r3", Q4),
        ("f5", "t3", "a3", "r3", Q4),
        ("f6", "t3", "a3", "r4", Q4),
        ("f7", "t1", "a3", "r3", Q3),  # the quarter before
    ]
    land(workspace.store, "feedback", [
        {"id": f, "channel": "support", "text": "x", "account_id": a, "requester_hash": r,
         "created_at": at} for f, _, a, r, at in asked])  # fmt: skip
    land(workspace.store, "theme", [{"id": t, "label": f"theme {t}"} for t in ("t1", "t2", "t3")])
    land(workspace.store, "feedback_theme", [{"feedback_id": f, "theme_id": t}
                                             for f, t, *_ in asked])  # fmt: skip
    found = demand_by_arr(workspace, Q4, "quarter", limit=2)
    # t1: a1 and a2 (150, 50 of it churned); t2 and t3 tie on a3's 10, t3 with more items
    assert [(d.theme_id, d.label, d.items, d.requesters, d.accounts, d.arr, d.churned_arr,
             d.previous_arr) for d in found] == [
        ("t:t1", "theme t1", 3, 2, 2, 150.0, 50.0, 10.0),
        ("t:t3", "theme t3", 2, 2, 1, 10.0, 0.0, 0.0),
    ]  # fmt: skip


def test_experiment_results_in_a_window(workspace: Workspace) -> None:
    since, as_of = Q4, datetime(2026, 1, 1, tzinfo=UTC)
    day = timedelta(days=1)
    land(workspace.store, "team", [{"id": "growth", "name": "Growth"}])
    land(
        workspace.store,
        "experiment",
        [
            {"id": "old", "team_id": "growth", "created_at": Q3, "started_at": Q3,
             "stopped_at": since - day},
            {"id": "later", "team_id": "growth", "created_at": as_of, "started_at": as_of},
            {"id": "now", "team_id": "growth", "name": "Now", "created_at": Q3,
             "started_at": Q3, "stopped_at": since + day},
        ],
    )  # fmt: skip
    land(workspace.store, "experiment_metric", [
        {"experiment_id": "now", "metric": "latency", "role": "guardrail", "direction": "lower"},
        {"experiment_id": "now", "metric": "conversion", "role": "goal"},
    ])  # fmt: skip
    stats = [("conversion", "control", 1000, 100.0, 100.0),
             ("conversion", "treatment", 1000, 120.0, 120.0),
             ("latency", "control", 1000, 200_000.0, 40_100_000.0),
             ("latency", "treatment", 1000, 200_000.0, 40_100_000.0)]  # fmt: skip
    land(workspace.store, "experiment_arm_stat", [
        {"experiment_id": "now", "metric": m, "arm": a, "units": n, "sum": s, "sum_squares": q}
        for m, a, n, s, q in stats])  # fmt: skip
    [result] = experiment_results(workspace, since, as_of)
    assert (result.experiment_id, result.name, result.status) == ("t:now", "Now", "stopped")
    assert result.trustworthy
    goal, guardrail = result.metrics
    # 12% against 10%: +20% relative; the guardrail's means are equal
    assert (goal.metric, goal.role, goal.relative) == ("conversion", "goal", True)
    assert goal.effect == pytest.approx(0.2)
    assert goal.ci_low is not None
    assert goal.ci_high is not None
    assert goal.ci_low < 0.2 < goal.ci_high
    assert (guardrail.metric, guardrail.role, guardrail.effect) == ("latency", "guardrail", 0.0)
