"""Survey results on small hand-made data, and the anonymity threshold."""

from __future__ import annotations

from typing import Any

import pytest

from productops import ops
from productops.errors import UsageError
from productops.workspace import Workspace
from tests.pillars.builders import at, land, result_rows


def _survey(ws: Workspace, sid: str, team: str, kind: str, opened: float) -> None:
    land(
        ws.store,
        "survey",
        [
            {
                "id": sid,
                "team_id": team,
                "kind": kind,
                "title": sid,
                "opened_at": at(opened),
                "closed_at": at(opened + 10),  # results are published at the close
            }
        ],
    )


def _answers(ws: Workspace, sid: str, answers: dict[str, list[float | None]], **extra: Any) -> None:
    """One row per respondent and question: answers[question][i] is respondent i's value
    (None: respondent i did not answer it)."""
    rows = [
        {
            "id": f"{sid}-{q}-{i}",
            "survey_id": sid,
            "respondent_hash": f"{sid}-r{i}",
            "question": q,
            "value": v,
            **extra,
        }
        for q, values in answers.items()
        for i, v in enumerate(values)
        if v is not None
    ]
    land(ws.store, "survey_response", rows)


def _by(rows: list[dict[str, Any]], *keys: str) -> dict[tuple[Any, ...], dict[str, Any]]:
    return {tuple(r[k] for k in keys): r for r in rows}


def _health(ws: Workspace, min_group: int = ops.MIN_GROUP) -> dict[tuple[Any, ...], dict[str, Any]]:
    b = ws.backend()
    rows = result_rows(ops.health_check(b.table("survey"), b.table("survey_response"), min_group))
    return _by(rows, "survey_id", "question")


def test_health_check_shares_colours_and_trend(with_teams: Workspace) -> None:
    ws = with_teams
    _survey(ws, "t:hc1", "payments", "health_check", 0)
    _survey(ws, "t:hc2", "payments", "health_check", 91)
    _answers(
        ws,
        "t:hc1",
        {"speed": [3, 3, 1], "fun": [2, 2, 2], "teamwork": [3, 3, 3], "learning": [2, 3, 3]},
    )
    _answers(
        ws,
        "t:hc2",
        {"speed": [1, 1, 2], "fun": [2, 2, 3], "teamwork": [3, 3, 2], "learning": [3, 3, 2]},
    )
    rows = _health(ws)
    first = rows[("t:hc1", "speed")]
    assert first["respondents"] == 3
    assert first["green_share"] == pytest.approx(2 / 3)
    assert first["amber_share"] == 0
    assert first["red_share"] == pytest.approx(1 / 3)
    assert first["score"] == pytest.approx(7 / 3)
    assert (first["colour"], first["mode_colour"]) == ("green", "green")
    assert first["previous_score"] is None
    assert first["trend"] is None
    assert first["suppressed"] is False
    assert first["reason"] is None
    second = rows[("t:hc2", "speed")]
    assert (second["colour"], second["mode_colour"]) == ("red", "red")
    assert second["previous_score"] == pytest.approx(7 / 3)
    assert second["trend"] == "worse"
    assert rows[("t:hc2", "fun")]["trend"] == "better"  # 2 -> 2.33
    assert rows[("t:hc2", "teamwork")]["trend"] == "worse"  # 3 -> 2.67
    assert rows[("t:hc2", "learning")]["trend"] == "same"  # 2.67 -> 2.67
    assert rows[("t:hc1", "fun")]["colour"] == "amber"


def test_a_tie_shows_the_worse_colour_and_the_lower_median(with_teams: Workspace) -> None:
    _survey(with_teams, "t:hc", "growth", "health_check", 0)
    _answers(with_teams, "t:hc", {"speed": [1, 1, 3, 3], "fun": [2, 3, 3, 3]})
    rows = _health(with_teams)
    assert rows[("t:hc", "speed")]["mode_colour"] == "red"
    assert rows[("t:hc", "speed")]["colour"] == "red"
    assert rows[("t:hc", "fun")]["colour"] == "green"
    assert rows[("t:hc", "fun")]["mode_colour"] == "green"


def test_two_respondents_are_suppressed_three_are_shown(with_teams: Workspace) -> None:
    ws = with_teams
    _survey(ws, "t:hc", "payments", "health_check", 0)
    _answers(ws, "t:hc", {"speed": [3, 1], "fun": [2, 2]})
    # An answer without a respondent hash never counts as a respondent.
    land(
        ws.store,
        "survey_response",
        [{"id": "t:anon", "survey_id": "t:hc", "question": "speed", "value": 3.0}],
    )
    hidden = _health(ws)[("t:hc", "speed")]
    assert hidden["respondents"] == 2
    assert hidden["suppressed"] is True
    assert hidden["reason"] == "fewer than 3 respondents"
    figures = ("green_share", "amber_share", "red_share", "score", "colour", "mode_colour")
    assert all(hidden[f] is None for f in figures)
    _answers(ws, "t:hc", {"speed": [None, None, 2]})  # a third respondent (ids -2)
    shown = _health(ws)[("t:hc", "speed")]
    assert shown["respondents"] == 3
    assert shown["suppressed"] is False
    assert shown["reason"] is None
    assert shown["score"] == pytest.approx(
        (3 + 1 + 2) / 3
    )  # the answer without a hash: not counted
    assert _health(ws)[("t:hc", "fun")]["suppressed"] is True  # still two answered fun


def test_a_higher_setting_suppresses_more_and_a_lower_one_is_refused(with_teams: Workspace) -> None:
    _survey(with_teams, "t:hc", "payments", "health_check", 0)
    _answers(with_teams, "t:hc", {"speed": [3, 3, 3]})
    assert _health(with_teams, 4)[("t:hc", "speed")]["suppressed"] is True
    with pytest.raises(UsageError, match="groups of 3 or more"):
        _health(with_teams, 2)


def test_comments_only_for_three_commenters_and_never_who(with_teams: Workspace) -> None:
    ws = with_teams
    _survey(ws, "t:st", "product", "stakeholder", 0)
    _answers(ws, "t:st", {"satisfaction": [4, 5]})
    land(
        ws.store,
        "survey_response",
        [
            {
                "id": "t:c1",
                "survey_id": "t:st",
                "respondent_hash": "t:st-r0",
                "question": "comment",
                "text": " Roadmap is unclear ",
                "submitted_at": at(1),
            }
        ],
    )
    b = ws.backend()

    def said() -> list[dict[str, Any]]:
        return result_rows(ops.comments(b.table("survey"), b.table("survey_response")))

    assert said() == []
    _answers(ws, "t:st", {"satisfaction": [None, None, 3]})
    assert said() == []  # 3 respondents, but one comment: its writer is one of 3 at best
    more = [
        {"id": f"t:more{i}", "survey_id": "t:st", "respondent_hash": f"t:st-r{i}"}
        | {"question": "comment", "text": text}
        for i, text in ((1, "Fine"), (2, "More demos"))
    ]
    land(ws.store, "survey_response", more)
    rows = said()
    assert [r["text"] for r in rows] == ["Fine", "More demos", "Roadmap is unclear"]
    assert set(rows[0]) == {"team_id", "survey_id", "kind", "question", "text", "respondents"}


def test_satisfaction_mean_and_favourable_share(with_teams: Workspace) -> None:
    ws = with_teams
    _survey(ws, "t:st", "product", "stakeholder", 0)
    _survey(ws, "t:ops", "product", "ops_support", 0)
    _survey(ws, "t:hc", "product", "health_check", 0)
    _answers(ws, "t:st", {"satisfaction": [5, 4, 2, 1], "clarity": [3, 3]})
    _answers(ws, "t:ops", {"ops_support_helpful": [4, 4, 5]})
    _answers(ws, "t:hc", {"speed": [3, 3, 3]})
    b = ws.backend()
    rows = _by(
        result_rows(ops.satisfaction(b.table("survey"), b.table("survey_response"))),
        "survey_id",
        "question",
    )
    assert set(rows) == {
        ("t:st", "satisfaction"),
        ("t:st", "clarity"),
        ("t:ops", "ops_support_helpful"),
    }
    st = rows[("t:st", "satisfaction")]
    assert (st["respondents"], st["mean"], st["favourable_share"]) == (4, 3.0, 0.5)
    assert st["kind"] == "stakeholder"
    assert rows[("t:st", "clarity")]["mean"] is None  # two respondents
    assert rows[("t:ops", "ops_support_helpful")]["mean"] == pytest.approx(13 / 3)
    assert rows[("t:ops", "ops_support_helpful")]["favourable_share"] == 1.0


def test_pm_time_strategic_and_operational_shares(with_teams: Workspace) -> None:
    ws = with_teams
    _survey(ws, "t:pm", "product", "pm_time", 0)
    _answers(
        ws,
        "t:pm",
        {
            "pct_discovery": [30, 10, 25],
            "pct_delivery": [50, 80, 25],
            "pct_ops_overhead": [20, 10, None],
        },
    )
    b = ws.backend()
    (row,) = result_rows(ops.pm_time(b.table("survey"), b.table("survey_response")))
    assert row["respondents"] == 3
    assert row["strategic_share"] == pytest.approx((0.3 + 0.1 + 0.5) / 3)
    assert row["operational_share"] == pytest.approx(1 - 0.3)
    _survey(ws, "t:pm2", "product", "pm_time", 90)
    _answers(ws, "t:pm2", {"pct_discovery": [50, 50], "pct_delivery": [50, 50]})
    rows = _by(result_rows(ops.pm_time(b.table("survey"), b.table("survey_response"))), "survey_id")
    assert rows[("t:pm2",)]["suppressed"] is True
    assert rows[("t:pm2",)]["strategic_share"] is None


def test_onboarding_survey_rating_and_days(with_teams: Workspace) -> None:
    ws = with_teams
    _survey(ws, "t:on", "product", "onboarding", 0)
    _answers(
        ws, "t:on", {"onboarding_rating": [5, 4, 2], "days_to_first_contribution": [10, 40, 20]}
    )
    b = ws.backend()
    (row,) = result_rows(ops.onboarding_survey(b.table("survey"), b.table("survey_response")))
    assert row["respondents"] == 3
    assert row["rating_mean"] == pytest.approx(11 / 3)
    assert row["favourable_share"] == pytest.approx(2 / 3)
    assert row["days_median"] == 20
    assert row["days_mean"] == pytest.approx(70 / 3)


def test_the_trend_skips_a_suppressed_health_check(with_teams: Workspace) -> None:
    ws = with_teams
    for i, n in enumerate((3, 2, 3)):
        _survey(ws, f"t:hc{i}", "payments", "health_check", 91 * i)
        _answers(ws, f"t:hc{i}", {"speed": [float(i + 1)] * n})
    rows = _health(ws)
    assert rows[("t:hc1", "speed")]["trend"] is None
    assert rows[("t:hc2", "speed")]["previous_score"] == 1.0
    assert rows[("t:hc2", "speed")]["trend"] == "better"
    b = ws.backend()
    counts = _by(
        result_rows(ops.survey_respondents(b.table("survey"), b.table("survey_response"))),
        "survey_id",
    )
    assert counts[("t:hc1",)]["respondents"] == 2
    assert counts[("t:hc1",)]["suppressed"] is True
