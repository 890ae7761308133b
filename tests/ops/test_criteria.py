"""Each built-in success criterion on small hand-made data, against a value worked out by hand.

Teams (tests/conftest.py `with_teams`): the group `product` with `payments` and `growth`.
The period is the quarter starting at T0 (2024-04-01, days 0 to 90).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from productops.engine import collect_union
from productops.ops.criteria import CRITERIA, ORG
from productops.ops.measures import MEASURES
from productops.ops.scorecard import ORGANISATION_WIDE, Score, scorecard
from productops.workspace import Workspace
from tests.pillars.builders import at, item, items, land

Q2 = datetime(2024, 4, 1, tzinfo=UTC)
TEAMS = ("payments", "growth")


def score(ws: Workspace, criterion: str, team: str = "payments") -> Score:
    rows = scorecard(
        ws.backend().table,
        [Q2],
        criteria=[CRITERIA[criterion]],
        teams=list(TEAMS),
        as_of=at(200),
        collect=collect_union,
    )
    return next(r for r in rows if r.team_id == team and r.period_start == Q2)


def value(ws: Workspace, criterion: str, team: str = "payments") -> float | None:
    return score(ws, criterion, team).value


CLOSED = {"opened_at": at(10), "closed_at": at(20)}  # results are published at the close


def _survey(
    ws: Workspace,
    sid: str,
    team: str,
    kind: str,
    answers: dict[str, list[int]],
    open_: bool = False,
) -> None:
    land(
        ws.store,
        "survey",
        [{"id": sid, "team_id": team, "kind": kind, "title": sid, "opened_at": at(10)}]
        if open_
        else [{"id": sid, "team_id": team, "kind": kind, "title": sid} | CLOSED],
    )
    land(
        ws.store,
        "survey_response",
        [
            {"id": f"{sid}-{q}-{i}", "survey_id": sid, "respondent_hash": f"{sid}-r{i}"}
            | {"question": q, "value": float(v)}
            for q, values in answers.items()
            for i, v in enumerate(values)
        ],
    )


def _event(i: int, kind: str, ts: datetime, person: str = "p1") -> dict[str, Any]:
    return {"id": f"e{i}", "ts": ts, "person_id": person, "team_id": "payments", "kind": kind}


def test_every_criterion_has_a_computation_and_a_pillar_group() -> None:
    assert list(MEASURES) == list(CRITERIA)
    assert {c.pillar for c in CRITERIA.values()} == {
        "data",
        "customer",
        "process",
        "operations",
        "business",
    }
    assert len(CRITERIA) == 29


def test_time_to_locate_is_the_median_search_to_open(with_teams: Workspace) -> None:
    s = timedelta(seconds=1)
    land(
        with_teams.store,
        "usage_event",
        [
            _event(1, "search", at(1)),
            _event(2, "open", at(1) + 30 * s),
            _event(3, "search", at(2)),
            _event(4, "open", at(2) + 90 * s),
            _event(5, "search", at(3)),
            _event(6, "open", at(3) + 45 * s),
            _event(7, "search", at(4)),  # never opened within the hour
            _event(8, "open", at(4) + 2 * 3600 * s),
        ],
    )
    assert value(with_teams, "data.time_to_locate") == 45.0  # median of 30, 90, 45
    assert score(with_teams, "data.time_to_locate", "growth").reason == (
        "not enough data: needs searches followed by an opened metric or record in the period"
    )


def test_dashboard_usage_is_the_share_of_people_viewing(with_teams: Workspace) -> None:
    land(with_teams.store, "person", [{"id": f"p{i}", "team_id": "payments"} for i in range(4)])
    land(
        with_teams.store,
        "usage_event",
        [
            _event(1, "page_view", at(1), "p1"),
            _event(2, "page_view", at(2), "p1"),
            _event(3, "page_view", at(3), "p2"),
            _event(4, "search", at(3), "p3"),
        ],
    )
    assert value(with_teams, "data.dashboard_usage") == 50.0  # p1, p2 of four


def _decisions(ws: Workspace) -> None:
    land(
        ws.store,
        "decision",
        [
            {"id": "d1", "team_id": "payments", "title": "a", "status": "decided"}
            | {"decided_at": at(10), "outcome_met": True, "outcome_at": at(30)},
            {"id": "d2", "team_id": "payments", "title": "b", "status": "decided"}
            | {"decided_at": at(20), "outcome_met": False, "outcome_at": at(40), "deciders": "x"},
            {"id": "d3", "team_id": "payments", "title": "c", "status": "decided"}
            | {"decided_at": at(25), "outcome_met": True, "outcome_at": at(45)},
            {"id": "d4", "team_id": "payments", "title": "d", "status": "proposed"},
        ],
    )
    land(
        ws.store,
        "decision_evidence",
        [
            {"id": "v1", "decision_id": "d1", "kind": "metric", "captured_at": at(9)},
            {"id": "v2", "decision_id": "d2", "kind": "metric", "captured_at": at(19)},
        ],
    )


def test_decisions_informed_and_improvement_after_them(with_teams: Workspace) -> None:
    _decisions(with_teams)
    assert value(with_teams, "data.decisions_informed") == pytest.approx(200 / 3)  # d1, d2 of 3
    assert value(with_teams, "data.iteration_improvement") == 50.0  # d1 met, d2 not; d3 no data
    assert score(with_teams, "data.decisions_informed", "growth").reason == (
        "not enough data: needs decisions made in the period"
    )


def test_incidents_affecting_decisions_and_discrepancies(with_teams: Workspace) -> None:
    _decisions(with_teams)
    missing = score(with_teams, "data.discrepancies", ORG).reason
    assert missing is not None
    assert "no data_check_result rows" in missing
    spec = '{"metric": "items_done"}'  # reads work_item (the built-in catalog)
    land(
        with_teams.store,
        "decision_evidence",
        [
            {"id": "v1", "decision_id": "d1", "kind": "metric", "captured_at": at(9), "spec": spec},
            {"id": "v2", "decision_id": "d2", "kind": "metric", "captured_at": at(19)}
            | {"spec": spec},
        ],
    )
    land(
        with_teams.store,
        "data_incident",
        [
            {"id": "i1", "check_id": "c1", "target": "work_item", "opened_at": at(5)}
            | {"resolved_at": at(12)},
            {"id": "i2", "check_id": "c1", "target": "account", "opened_at": at(15)},
        ],
    )
    found = score(with_teams, "data.incidents_affecting_decisions")
    assert (found.value, found.n) == (1.0, 3)  # d1 of the three decisions
    cells = '{"mismatched_cells": 3, "mismatched_keys": 1}'
    land(
        with_teams.store,
        "data_check_result",
        [
            {"check_id": "c1", "run_at": at(10), "status": "error", "details": cells},
            {"check_id": "c2", "run_at": at(11), "status": "pass"}
            | {"details": '{"mismatched_cells": 0, "mismatched_keys": 0}'},
        ],
    )
    assert value(with_teams, "data.discrepancies", ORG) == 1.0  # c1 fails, c2 passes
    assert score(with_teams, "data.discrepancies").reason == ORGANISATION_WIDE


def _feedback(ws: Workspace, rows: list[tuple[str, float, dict[str, Any]]]) -> None:
    land(
        ws.store,
        "feedback",
        [{"id": f, "channel": "support", "text": f, "created_at": at(d)} | x for f, d, x in rows],
    )


def test_feedback_incorporated_is_the_share_of_linked_feedback_delivered(
    with_teams: Workspace,
) -> None:
    _feedback(with_teams, [(f"f{i}", i, {}) for i in range(6)])
    items(
        with_teams.store,
        item("w1", "payments", 0, [], released_at=at(10)),
        item("w2", "payments", 0, [(5, "In Progress", "in_progress")]),
        item("g1", "growth", 0, [(5, "In Progress", "in_progress"), (8, "Done", "done")]),
    )
    links = [("f0", "w1", "confirmed"), ("f1", "w2", "confirmed"), ("f2", "w2", "confirmed")]
    links += [("f2", "w1", "suggested"), ("f3", "g1", "confirmed"), ("f4", "w1", "suggested")]
    land(
        with_teams.store,
        "feedback_link",
        [{"feedback_id": f, "work_item_id": w, "state": s} for f, w, s in links],
    )
    # payments: f0, f1, f2 linked, f0's item released; growth: f3 linked, its item done.
    assert value(with_teams, "customer.feedback_incorporated") == pytest.approx(100 / 3)
    assert score(with_teams, "customer.feedback_incorporated").n == 3
    assert value(with_teams, "customer.feedback_incorporated", "growth") == 100.0
    # The organisation's linked feedback that shipped: f0 and f3 of four.
    assert value(with_teams, "customer.feedback_incorporated", ORG) == 50.0


def test_time_to_insight_is_the_median_days_to_the_first_insight(with_teams: Workspace) -> None:
    _feedback(with_teams, [("f1", 0, {}), ("f2", 10, {}), ("f3", 5, {}), ("f4", 30, {})])
    land(with_teams.store, "theme", [{"id": "th1", "label": "Exports"}])
    land(
        with_teams.store,
        "feedback_theme",
        [{"feedback_id": f, "theme_id": "th1"} for f in ("f1", "f2", "f3", "f4")],
    )
    land(
        with_teams.store,
        "insight",
        [
            {"id": "i1", "team_id": "payments", "title": "x", "theme_ids": '["t:th1"]'}
            | {"published_at": at(20)},
            {"id": "i2", "team_id": "growth", "title": "y", "theme_ids": '["t:th1"]'}
            | {"published_at": at(50)},
        ],
    )
    assert value(with_teams, "customer.time_to_insight") == 15.0  # 20, 10, 15 days
    assert value(with_teams, "customer.time_to_insight", "growth") == 20.0  # f4: 30 -> 50


def _released(ident: str, created: float, released: float, **extra: Any) -> Any:
    return item(ident, "payments", created, [], type="story", released_at=at(released), **extra)


def test_time_to_market_of_features_and_of_insight_driven_ones(with_teams: Workspace) -> None:
    items(
        with_teams.store,
        _released("w1", 0, 30),
        _released("w2", 20, 40),
        _released("w3", 25, 50),
        _released("w4", 0, 70),
    )
    _feedback(with_teams, [("f1", 0, {})])
    land(
        with_teams.store,
        "feedback_link",
        [
            {"feedback_id": "f1", "work_item_id": w, "state": "confirmed"}
            for w in ("w1", "w2", "w3")
        ],
    )
    assert value(with_teams, "customer.insight_time_to_market") == 40.0  # 30, 40, 50 from f1
    assert value(with_teams, "process.time_to_market") == 27.5  # 30, 20, 25, 70


def test_feature_satisfaction_is_the_rating_after_release(with_teams: Workspace) -> None:
    items(with_teams.store, _released("w1", 0, 10))
    land(with_teams.store, "account", [{"id": "a1"}])
    _feedback(
        with_teams,
        [
            ("f1", 0, {"account_id": "a1", "channel": "csat", "rating": 2.0}),  # before
            ("f2", 20, {"account_id": "a1", "channel": "csat", "rating": 5.0}),  # (5-1)/4 = 1
            ("f3", 30, {"account_id": "a1", "channel": "nps", "rating": 6.0}),  # 6/10
        ],
    )
    land(
        with_teams.store,
        "feedback_link",
        [{"feedback_id": "f1", "work_item_id": "w1", "state": "confirmed"}],
    )
    assert value(with_teams, "customer.feature_satisfaction") == pytest.approx(0.8)


def _activity(ident: str, team: str, kind: str, held: float, **extra: Any) -> dict[str, Any]:
    return {"id": ident, "team_id": team, "kind": kind, "held_at": at(held), **extra}


def test_activities_of_a_group_count_for_its_teams(with_teams: Workspace) -> None:
    land(
        with_teams.store,
        "activity",
        [
            _activity("a1", "product", "insight_session", 5),
            _activity("a2", "payments", "insight_session", 6),
            _activity("a3", "product", "training", 7),
            _activity("a4", "payments", "tool_onboarding", 8),
            _activity("a5", "payments", "workshop", 9),
        ],
    )
    assert value(with_teams, "customer.insight_sessions") == 2.0
    assert value(with_teams, "customer.insight_sessions", "growth") == 1.0
    assert value(with_teams, "customer.insight_sessions", ORG) == 3.0  # rollup: sum
    assert value(with_teams, "operations.trainings_tools") == 2.0
    assert value(with_teams, "operations.trainings_tools", "growth") == 1.0


def test_stakeholder_surveys_give_satisfaction_and_communication(with_teams: Workspace) -> None:
    answers = {"satisfaction": [4, 5, 3], "clarity_of_priorities": [4, 5, 2]}
    _survey(with_teams, "s1", "product", "stakeholder", answers)
    assert value(with_teams, "customer.stakeholder_satisfaction") == 4.0
    assert value(with_teams, "process.communication") == pytest.approx(200 / 3)  # 4 and 5 of 3


def test_communication_is_a_percentage_of_favourable_answers(with_teams: Workspace) -> None:
    """Per survey the mean of its questions' favourable shares, then the mean over surveys, x100."""
    answers = {"communication_with_sales": [5, 4, 1, 2], "alignment_on_goals": [4, 4, 4, 1]}
    _survey(with_teams, "s1", "payments", "stakeholder", answers | {"satisfaction": [5, 5, 5, 5]})
    _survey(with_teams, "s2", "payments", "stakeholder", {"clarity_of_priorities": [1, 2, 3]})
    found = score(with_teams, "process.communication")
    assert found.unit == "%" == CRITERIA["process.communication"].unit
    assert found.value == pytest.approx(((50 + 75) / 2 + 0) / 2)  # s1: 50% and 75%; s2: 0%


def test_a_survey_below_three_respondents_gives_the_anonymity_reason(
    with_teams: Workspace,
) -> None:
    _survey(with_teams, "s1", "payments", "ops_support", {"helpful": [5, 5]})
    found = score(with_teams, "operations.support_satisfaction")
    assert found.value is None
    assert found.reason == (
        "not enough data: needs a closed survey with 3 or more respondents (answers stay anonymous)"
    )


def test_an_open_survey_gives_no_figure_until_it_closes(with_teams: Workspace) -> None:
    _survey(with_teams, "s1", "payments", "ops_support", {"helpful": [5, 4, 5]}, open_=True)
    found = score(with_teams, "operations.support_satisfaction")
    assert found.value is None
    assert "closed survey" in str(found.reason)


def test_support_satisfaction_and_strategic_time(with_teams: Workspace) -> None:
    _survey(with_teams, "s1", "payments", "ops_support", {"q1": [4, 4, 5], "q2": [3, 3, 3]})
    assert value(with_teams, "operations.support_satisfaction") == pytest.approx((13 / 3 + 3) / 2)
    _survey(
        with_teams,
        "s2",
        "payments",
        "pm_time",
        {"pct_discovery": [40, 0, 0], "pct_strategy": [0, 50, 0], "pct_research": [0, 0, 30]}
        | {"pct_delivery": [60, 50, 0], "pct_ops_overhead": [0, 0, 70]},
    )
    assert value(with_teams, "operations.strategic_time") == pytest.approx(40.0)  # .4 .5 .3


def test_workflow_adherence_is_the_share_of_conforming_items(with_teams: Workspace) -> None:
    good: list[tuple[float, str, str]] = [
        (1, "In Progress", "in_progress"),
        (2, "In Review", "in_progress"),
        (3, "Done", "done"),
    ]
    items(
        with_teams.store,
        item("a", "payments", 0, good),
        item("b", "payments", 0, [(4, "Done", "done")]),
        item("c", "payments", 0, good),
    )
    assert value(with_teams, "process.workflow_adherence") == pytest.approx(200 / 3)


def test_clarity_counts_owned_items_and_decisions_with_deciders(with_teams: Workspace) -> None:
    land(with_teams.store, "person", [{"id": "p1", "team_id": "payments"}])
    items(
        with_teams.store,
        *(item(f"w{i}", "payments", i, [], owner_id="p1") for i in range(3)),
        item("w9", "payments", 5, []),
    )
    land(
        with_teams.store,
        "decision",
        [
            {
                "id": "d1",
                "team_id": "payments",
                "title": "a",
                "decided_at": at(3),
                "deciders": "p1",
            },
            {"id": "d2", "team_id": "payments", "title": "b", "decided_at": at(4)},
        ],
    )
    assert value(with_teams, "process.clarity") == pytest.approx(400 / 6)


def test_a_review_removed_a_bottleneck_when_its_wait_fell(with_teams: Workspace) -> None:
    def review(start: float, days: float) -> list[tuple[float, str, str]]:
        return [(start, "In Review", "in_progress"), (start + days, "Done", "done")]

    items(
        with_teams.store,
        item("w1", "payments", 0, review(10, 10)),  # before the review: 10 days in review
        item("w2", "payments", 48, review(50, 2)),  # after it: 2 days
    )
    land(
        with_teams.store,
        "activity",
        [
            _activity("r1", "payments", "retrospective", 45, notes="Bottleneck: In Review"),
            _activity("r2", "payments", "process_review", 60),
        ],
    )
    found = score(with_teams, "process.bottlenecks_removed")
    assert (found.value, found.n) == (1.0, 2)


def test_a_reviews_bottleneck_waits_are_compared_over_90_days_each_side(
    with_teams: Workspace,
) -> None:
    def review(start: float, days: float) -> list[tuple[float, str, str]]:
        return [(start, "In Review", "in_progress"), (start + days, "Done", "done")]

    items(
        with_teams.store,
        item("w1", "payments", -50, review(-45, 10)),  # 90 days before the review: 10 days
        item("w2", "payments", 55, review(60, 8)),  # 15 days after it: 8 days
        item("w3", "payments", -50, review(-46, 1)),  # 91 days before: not compared
        item("w4", "payments", 130, review(135, 100)),  # 90 days after: not compared
    )
    land(
        with_teams.store,
        "activity",
        [_activity("r1", "payments", "process_review", 45, notes="Bottleneck: in review")],
    )
    found = score(with_teams, "process.bottlenecks_removed")
    assert (found.value, found.n) == (1.0, 1)  # 8 days after against 10 before: removed


def test_dependency_delays_are_days_blocked_by_other_teams(with_teams: Workspace) -> None:
    items(
        with_teams.store,
        item("g1", "growth", 0, [(20, "Done", "done")]),
        item("p1", "payments", 5, [(30, "Done", "done")]),
    )
    land(with_teams.store, "work_item_link", [{"from_id": "g1", "to_id": "p1", "type": "blocks"}])
    assert value(with_teams, "process.dependency_delays") == 15.0


def test_experiments_run_setup_time_and_self_sufficiency(with_teams: Workspace) -> None:
    land(
        with_teams.store,
        "person",
        [
            {"id": "o1", "team_id": "payments", "role": "product_ops"},
            {"id": "m1", "team_id": "payments", "role": "pm"},
        ],
    )

    def exp(ident: str, created: float, started: float | None, owner: str | None) -> dict[str, Any]:
        begun = None if started is None else at(started)
        return {"id": ident, "team_id": "payments", "created_at": at(created)} | {
            "started_at": begun,
            "owner_id": owner,
        }

    land(
        with_teams.store,
        "experiment",
        [
            exp("x1", 0, 10, "m1"),
            exp("x2", 5, 20, "m1"),
            exp("x3", 0, 30, "o1"),
            exp("x4", 1, None, None),
        ],
    )
    land(
        with_teams.store,
        "usage_event",
        [
            _event(1, "query", at(1), "m1"),
            _event(2, "query", at(2), "m1"),
            _event(3, "author", at(3), "o1"),
            _event(4, "query", at(4), "m1"),
        ],
    )
    insight = {"id": "i1", "team_id": "payments", "title": "x", "author_id": "m1"}
    land(with_teams.store, "insight", [insight | {"published_at": at(5)}])
    assert value(with_teams, "operations.experiments_run") == 3.0
    assert value(with_teams, "operations.experiment_setup_time") == 15.0  # 10, 15, 30
    land(with_teams.store, "experiment", [exp("x5", 0, 40, "m1") | {"team_id": "growth"}])
    assert value(with_teams, "operations.experiment_setup_time", "growth") == 40.0
    assert score(with_teams, "operations.experiment_setup_time", "growth").n == 1
    # Pooled: the median of 10, 15, 30, 40 (the median of the team medians 15, 40 is 27.5).
    org = score(with_teams, "operations.experiment_setup_time", ORG)
    assert (org.value, org.n) == (22.5, 4)
    assert value(with_teams, "operations.self_sufficiency") == 80.0  # 3 queries, i1 of five


def test_kpi_alignment_is_the_share_of_delivered_epics_and_features_tied(
    with_teams: Workspace,
) -> None:
    done: list[tuple[float, str, str]] = [(5, "In Progress", "in_progress"), (30, "Done", "done")]
    items(
        with_teams.store,
        item("e1", "payments", 0, done, type="epic"),  # delivered: resolved as done
        item("e2", "payments", 0, done, type="Epic"),
        item("e3", "payments", 0, [(5, "In Progress", "in_progress")], type="epic"),  # open
        item("f1", "payments", 0, [], type="feature", released_at=at(40)),
        item("f2", "payments", 0, [], type="feature", released_at=at(120)),  # next quarter
        _released("s1", 0, 20),  # a story: a slice, not counted
        item("e4", "payments", 0, [(9, "Won't Do", "cancelled")], type="epic"),  # not delivered
    )
    land(with_teams.store, "kpi", [{"id": "k1", "name": "Revenue"}])
    land(
        with_teams.store,
        "work_item_kpi",
        [{"work_item_id": w, "kpi_id": "k1"} for w in ("e1", "e3", "f2", "s1")],
    )
    # Delivered in the quarter: e1, e2 (resolved as done), f1 (released); e1 is tied.
    assert value(with_teams, "business.kpi_alignment") == pytest.approx(100 / 3)
    assert score(with_teams, "business.kpi_alignment").n == 3


def test_churn_and_support_volume_per_active_account(with_teams: Workspace) -> None:
    land(
        with_teams.store,
        "account",
        [
            {"id": "a1", "created_at": at(-60), "churned_at": at(30)},
            {"id": "a2", "created_at": at(-60)},
            {"id": "a3", "created_at": at(-60), "churned_at": at(-10)},
            {"id": "a4", "created_at": at(20)},
        ],
    )
    # Computed without feedback, support volume would be 0 tickets per account: a table the
    # criterion needs has no rows, so it gives the reason instead, whatever it computed.
    none = score(with_teams, "business.support_volume", ORG)
    assert (none.value, none.reason) == (
        None,
        "not enough data: needs customer accounts and support feedback (no feedback rows)",
    )
    _feedback(with_teams, [("f1", 1, {}), ("f2", 2, {}), ("f3", 3, {})])
    assert value(with_teams, "business.churn", ORG) == 50.0  # a1 of a1, a2
    assert value(with_teams, "business.support_volume", ORG) == 1.5  # 3 tickets, 2 accounts


def test_onboarding_time_is_the_median_days_to_productive(with_teams: Workspace) -> None:
    land(
        with_teams.store,
        "activity",
        [
            _activity("o1", "payments", "onboarding", 0, ended_at=at(20)),
            _activity("o2", "payments", "onboarding", 10, ended_at=at(40)),
            _activity("o3", "payments", "onboarding", 5, ended_at=at(15)),
        ],
    )
    assert value(with_teams, "business.onboarding_time") == 20.0  # 20, 30, 10


def test_scope_creep_is_the_share_of_children_added_after_the_start(with_teams: Workspace) -> None:
    items(
        with_teams.store,
        item("e1", "payments", 0, [(10, "In Progress", "in_progress")], type="epic"),
        item("c1", "payments", 5, [], parent_id="e1"),
        item("c2", "payments", 15, [], parent_id="e1"),
        item("c3", "payments", 20, [], parent_id="e1"),
    )
    assert value(with_teams, "business.scope_creep") == pytest.approx(200 / 3)


def test_docs_define_every_criterion_and_nudge_rule() -> None:
    from pathlib import Path

    from productops.ops.nudges import RULES

    doc = (Path(__file__).resolve().parents[2] / "docs" / "scorecard.md").read_text("utf-8")
    for c in CRITERIA.values():
        section = doc.split(f"### {c.id}\n", 1)
        assert len(section) == 2, f"docs/scorecard.md has no section for {c.id}"
        body = section[1].split("\n### ", 1)[0]
        assert f"**Unit:** {c.unit}." in body, c.id
        assert "**Rollup:**" in body, c.id
        assert c.description in body, c.id
    for rule in RULES:
        assert f"| {rule} |" in doc, rule
