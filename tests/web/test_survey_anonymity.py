"""Anonymity through the API (issue 12, item 4): no route, filter or combination of filters
gives a figure or a comment of fewer than 3 respondents, and the differencing attack (two
allowed queries whose difference isolates one person's answer) finds no pair to subtract."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from fastapi import FastAPI

from productops.services.surveys import close_survey, open_survey
from productops.web.app import create_app
from productops.workspace import Workspace
from tests.pillars.builders import at
from tests.web.conftest import ME, Site, get
from tests.web.writing import seed, send

FIGURES = ("green_share", "amber_share", "red_share", "score", "colour", "mode_colour")
COLOURS = ("green", "amber", "red", "green")


def answer(app: FastAPI, survey: str, n: int, comment: str | None = None) -> None:
    """Respondent `n`'s answers (no account: the route takes none)."""
    body = {"answers": {"speed": COLOURS[n % 4], "fun": 1 + n % 3}, "respondent": f"resp-{n:08d}"}
    reply = send(
        app, "POST", f"/api/v1/surveys/{survey}/answers", None, body | {"comment": comment}
    )
    assert reply.status_code == 200, reply.text


def survey(site: Site, title: str, respondents: int, *, close: bool) -> str:
    """A health check of payments with `respondents` answers (each with a comment)."""
    ws = Workspace.open(site.root)
    try:
        made = open_survey(ws, ME, team_id="payments", kind="health_check", title=title, at=at(1))
    finally:
        ws.close()
    app = create_app(site.root)
    for n in range(respondents):
        answer(app, made.id, n, comment=f"comment {n} of {title}")
    if close:
        ws = Workspace.open(site.root)
        try:
            close_survey(ws, ME, made.id, at(30))
        finally:
            ws.close()
    return made.id


@pytest.fixture(scope="module")
def surveyed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Site, dict[str, str]]:
    site = seed(tmp_path_factory.mktemp("surveyed") / "ws")
    ids = {
        "two": survey(site, "Two", 2, close=True),
        "three open": survey(site, "Three open", 3, close=False),
        "four": survey(site, "Four", 4, close=True),
    }
    return site, ids


def results(app: FastAPI, site: Site, route: str = "/results", **params: Any) -> list[Any]:
    """A viewer's read of `/api/v1/surveys` + `route`, every item."""
    response = get(app, f"/api/v1/surveys{route}", site.tokens["viewer"], limit=1000, **params)
    assert response.status_code == 200, response.text
    items: list[Any] = response.json()["items"]
    return items


def test_a_group_under_three_respondents_is_refused(surveyed: tuple[Site, dict[str, str]]) -> None:
    site, ids = surveyed
    app = create_app(site.root)
    rows = results(app, site, survey=ids["two"])
    assert rows
    assert all(r["suppressed"] and r["respondents"] == 2 for r in rows)
    assert all(r[f] is None for r in rows for f in FIGURES)
    assert {r["reason"] for r in rows} == {"fewer than 3 respondents"}
    assert results(app, site, "/comments", survey=ids["two"]) == []


def test_an_open_survey_publishes_nothing(surveyed: tuple[Site, dict[str, str]]) -> None:
    site, ids = surveyed
    app = create_app(site.root)
    rows = results(app, site, survey=ids["three open"])
    assert rows
    assert all(r["suppressed"] and all(r[f] is None for f in FIGURES) for r in rows)
    assert results(app, site, "/comments", survey=ids["three open"]) == []


def test_a_closed_group_of_three_or_more_is_published(
    surveyed: tuple[Site, dict[str, str]],
) -> None:
    site, ids = surveyed
    app = create_app(site.root)
    rows = results(app, site, survey=ids["four"])
    assert {r["question"] for r in rows} == {"speed", "fun"}
    assert all(not r["suppressed"] and r["respondents"] == 4 for r in rows)
    [speed] = [r for r in rows if r["question"] == "speed"]
    assert (speed["green_share"], speed["amber_share"], speed["red_share"]) == (0.5, 0.25, 0.25)
    said = results(app, site, "/comments", survey=ids["four"])
    assert sorted(c["text"] for c in said) == [f"comment {n} of Four" for n in range(4)]
    assert all(set(c) == {"team_id", "survey_id", "text"} for c in said)  # never who or when


def test_no_filter_splits_a_group(surveyed: tuple[Site, dict[str, str]]) -> None:
    """The differencing attack needs two published figures of groups that differ by one
    person. Every filter the API takes selects whole groups: whatever the combination, a
    published group holds every respondent of its survey and the same figures."""
    site, ids = surveyed
    app = create_app(site.root)
    published: dict[tuple[str, str], dict[str, Any]] = {}
    choices = itertools.product(
        [None, "payments", "growth"],
        [None, "health_check", "stakeholder"],
        [None, *ids.values()],
        ["quarter", "week"],
    )
    for team, kind, one, grain in choices:
        given = {"team": team, "kind": kind, "survey": one, "grain": grain}
        for row in results(app, site, **{k: v for k, v in given.items() if v}):
            if row["suppressed"]:
                assert all(row.get(f) is None for f in FIGURES), given
                continue
            assert row["respondents"] >= 3, given
            figures = {f: row[f] for f in ("respondents", *FIGURES)}
            assert published.setdefault((row["survey_id"], row["question"]), figures) == figures
    assert {survey for survey, _ in published} == {ids["four"]}


def test_an_answer_after_the_close_is_refused(surveyed: tuple[Site, dict[str, str]]) -> None:
    """The other half of the attack: the same group before and after one more answer. Only a
    closed survey is published, and a closed survey takes no more answers."""
    site, ids = surveyed
    app = create_app(site.root)
    before = results(app, site, survey=ids["four"])
    body = {"answers": {"speed": "red"}, "respondent": "late-respondent-1"}
    late = send(app, "POST", f"/api/v1/surveys/{ids['four']}/answers", None, body)
    assert late.status_code == 409
    assert results(app, site, survey=ids["four"]) == before


def test_the_survey_list_names_no_one(surveyed: tuple[Site, dict[str, str]]) -> None:
    site, ids = surveyed
    listed = results(create_app(site.root), site, "", team="payments")
    assert {r["id"]: r["respondents"] for r in listed if r["id"] in ids.values()} == {
        ids["two"]: 2,
        ids["three open"]: 3,
        ids["four"]: 4,
    }
    assert all(
        set(r)
        == {"id", "team_id", "kind", "title", "status", "opened_at", "closed_at", "respondents"}
        for r in listed
    )
