"""Maturity: the rubric's stages, the unaware rule, gating, self-assessment and effort."""

from __future__ import annotations

from datetime import UTC, datetime

from productops.ops.maturity import effort_periods, read_maturity, self_ratings
from productops.ops.scorecard import Score, periods_ending
from productops.registry.surveys import parse_answer
from productops.workspace import Workspace
from tests.pillars.builders import at, land

P = periods_ending(datetime(2024, 7, 1, tzinfo=UTC), "quarter", 3)  # Q1, Q2, Q3 2024


def sc(criterion: str, start: datetime, value: float | None, target: float | None = None) -> Score:
    met = None if value is None or target is None else value >= target
    pillar = criterion.split(".")[0]
    return Score(
        criterion,
        pillar,
        "payments",
        "quarter",
        start,
        value,
        "%",
        1,
        None,
        target,
        None,
        None,
        met,
    )


def stage(
    scores: list[Score], rating: float | str | None = None, effort: bool = False
) -> tuple[str, tuple[str, ...]]:
    ratings = {} if rating is None else {("payments", "data"): rating}
    spent = {("payments", "data", P[1])} if effort else set()
    reading = next(
        r
        for r in read_maturity(scores, ["payments"], P, "quarter", ratings=ratings, effort=spent)
        if r.pillar == "data"
    )
    return reading.stage, reading.reasons


def met_in(*periods: datetime) -> list[Score]:
    out = []
    for p in P:
        ok = p in periods
        out += [sc("data.decisions_informed", p, 80.0 if ok else 40.0, 60.0)]
        out += [sc("data.dashboard_usage", p, 70.0, 50.0)]
    return out


def test_no_measures_reads_unaware_with_the_reason() -> None:
    found, why = stage([sc("data.decisions_informed", P[-1], None)])
    assert found == "unaware"
    assert why == ("no data criterion has a value: no measures to see gaps by",)


def test_high_self_rating_with_low_measures_reads_unaware() -> None:
    scores = [
        sc("data.decisions_informed", P[-1], 40.0, 60.0),
        sc("data.dashboard_usage", P[-1], 20.0, 50.0),
        sc("data.time_to_locate", P[-1], 70.0, 60.0),
    ]
    found, why = stage(scores, rating=3.5)
    assert found == "unaware"
    assert "self-assessment 3.5 of 4" in why
    assert "rates itself high while its measures are low" in why
    assert stage(scores, rating=2.0)[0] == "aware"  # the same measures, knowing its gaps


def test_aware_needs_targets_or_a_self_assessment_naming_gaps() -> None:
    untargeted = [sc("data.decisions_informed", P[-1], 40.0)]
    assert stage(untargeted)[0] == "unaware"
    assert stage(untargeted, rating=1.5)[0] == "aware"
    found, why = stage([sc("data.decisions_informed", P[-1], 40.0, 60.0)])
    assert (found, why[-1]) == ("aware", "not practising yet: targets missed")


def test_practising_then_habitual_without_product_ops_effort() -> None:
    assert stage(met_in(P[2]))[0] == "practising"
    assert stage(met_in(P[1], P[2]))[0] == "practising"
    found, why = stage(met_in(*P))
    assert found == "habitual"
    assert why[-1] == "targets met 3 periods in a row without Product Ops effort"
    found, why = stage(met_in(*P), effort=True)
    assert found == "practising"
    assert "Product Ops effort" in why[-1]


def test_stages_are_gated_no_stage_before_the_one_below() -> None:
    # Targets met in every period but the last: never practising, so never habitual.
    assert stage(met_in(P[0], P[1]))[0] == "aware"
    # Met throughout, but a high self-rating with low measures? Not possible: all met.
    # Met throughout with no value in the last period: nothing measured now -> unaware.
    scores = [s for s in met_in(*P) if s.period_start != P[-1]]
    assert stage(scores)[0] == "unaware"


CLOSED = {"opened_at": at(1), "closed_at": at(8)}  # results are published at the close


def test_self_assessment_answers_and_anonymity(with_teams: Workspace) -> None:
    assert parse_answer("self_assessment", "data=4") == ("data", 4.0)
    land(
        with_teams.store,
        "survey",
        [
            {"id": "s1", "team_id": "payments", "kind": "self_assessment"} | CLOSED,
            {"id": "s2", "team_id": "growth", "kind": "self_assessment"} | CLOSED,
            {"id": "s3", "team_id": "product", "kind": "self_assessment", "opened_at": at(1)},
        ],
    )
    answers = [
        ("s1", "data", [4, 3, 4]),
        ("s1", "process", [2, 2, 1]),
        ("s2", "data", [4, 4]),
        ("s3", "data", [4, 4, 4]),
    ]
    land(
        with_teams.store,
        "survey_response",
        [
            {"id": f"{s}{q}{i}", "survey_id": s, "question": q, "value": float(v)}
            | {"respondent_hash": f"{s}r{i}"}
            for s, q, values in answers
            for i, v in enumerate(values)
        ],
    )
    b = with_teams.backend()
    found = self_ratings(b.table("survey"), b.table("survey_response"), at(30))
    assert found[("payments", "data")] == 11 / 3
    assert found[("payments", "process")] == 5 / 3
    assert found[("growth", "data")] == "self-assessment: fewer than 3 respondents"
    assert found[("product", "data")] == (
        "self-assessment: survey still open: results are published when it closes"
    )


def test_effort_comes_from_nudges_and_initiatives_of_the_pillar() -> None:
    nudges = [
        {"team_id": "payments", "criterion": "data.decisions_informed", "status": "accepted"}
        | {"status_at": datetime(2024, 5, 2, tzinfo=UTC)},
        {"team_id": "payments", "criterion": "process.clarity", "status": "dismissed"}
        | {"status_at": datetime(2024, 5, 2, tzinfo=UTC)},
    ]
    initiatives = [
        {"team_id": "growth", "target_metric": "customer.time_to_insight"}
        | {"started_at": datetime(2024, 2, 1, tzinfo=UTC), "ended_at": None},
    ]
    assert effort_periods(nudges, initiatives, P, "quarter") == {
        ("payments", "data", P[1]),
        *(("growth", "customer", p) for p in P),
    }
