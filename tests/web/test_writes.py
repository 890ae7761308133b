"""The write routes: each leaves exactly one audit row, as the calling token, with the request's
id; unknown ids are 404, a state that does not allow the write 409, bad input 400 or 422; a
survey answer needs no account and is kept without who answered."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from productops.services.surveys import close_survey
from productops.services.users import list_tokens
from productops.workspace import Workspace
from tests.pillars.builders import at
from tests.web.conftest import ME, Site
from tests.web.writing import (
    DECIDED,
    EXAMPLES,
    OFFERED,
    PROPOSED,
    SURVEY,
    fresh,
    seed,
    send,
    trail,
)

MEMBER = "member of the team"
# Who may make each example write: a member of team payments, else an admin (no one: anyone).
WRITER = {
    ("POST", "/api/v1/checks/run"): "admin",
    ("POST", "/api/v1/syncs"): "admin",
    ("POST", "/api/v1/notify/outbox/{message}/requeue"): "admin",
    ("PUT", "/api/v1/targets/{criterion}"): "admin",
    ("POST", "/api/v1/surveys/{survey}/answers"): "anonymous",
} | {route: "admin" for route in EXAMPLES if "/themes/" in route[1]}


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Site:
    return seed(tmp_path_factory.mktemp("seeded") / "ws")


def _token_actors(site: Site, user: str) -> set[str]:
    ws = Workspace.open(site.root)
    try:
        return {f"token:{t.id}" for t in list_tokens(ws, user)}
    finally:
        ws.close()


@pytest.mark.parametrize("route", sorted(EXAMPLES), ids=" ".join)
def test_every_write_route_leaves_one_audit_row_with_the_request_id(
    route: tuple[str, str], seeded: Site, tmp_path: Path
) -> None:
    caller = WRITER.get(route, MEMBER)
    token = None if caller == "anonymous" else seeded.tokens[caller]
    path, body = EXAMPLES[route]
    with fresh(seeded, tmp_path, "ws") as app:
        before = {e.id for e in trail(app)}
        response = send(app, route[0], path, token, body, request_id="req-42.a")
        assert response.status_code == 200, response.text
        assert response.headers["X-Request-Id"] == "req-42.a"
        [new] = [e for e in trail(app) if e.id not in before]
    if caller == "anonymous":  # no one, and no request id to time the answer by
        assert (new.actor, new.request_id, new.after) == ("anonymous", None, None)
    else:
        user = "ben" if caller == MEMBER else "ana"
        assert new.actor in _token_actors(seeded, user)
        assert new.request_id == "req-42.a"


@pytest.mark.parametrize("given", [None, "", "has spaces", "x" * 65, "a/b", "<script>"])
def test_a_request_without_a_usable_id_gets_a_new_one(
    given: str | None, seeded: Site, tmp_path: Path
) -> None:
    path, body = EXAMPLES["POST", "/api/v1/decisions"]
    with fresh(seeded, tmp_path, "ws") as app:
        response = send(app, "POST", path, seeded.tokens[MEMBER], body, request_id=given)
        assert response.status_code == 200, response.text
        made = response.headers["X-Request-Id"]
        assert re.fullmatch(r"[0-9a-f]{32}", made)
        [row] = [e for e in trail(app) if e.action == "decision.new" and e.request_id == made]
    assert row.object == f"decision:{response.json()['id']}"


# (method, path, body, status, code, message part): nothing of these is written.
REFUSED: list[tuple[str, str, dict[str, Any], int, str, str]] = [
    ("POST", "/api/v1/decisions/nope/decide", {"choice": "x"}, 404, "not_found", "unknown decision"),
    ("POST", f"/api/v1/decisions/{DECIDED}/decide", {"choice": "add QA"}, 409, "conflict",
     "decided already"),
    ("POST", f"/api/v1/decisions/{PROPOSED}/review", {}, 400, "invalid", "expects no outcome"),
    ("POST", f"/api/v1/decisions/{PROPOSED}/decide", {"choice": "ship"}, 400, "invalid",
     "not an option"),
    ("POST", f"/api/v1/decisions/{PROPOSED}/supersede", {"by": PROPOSED}, 400, "invalid",
     "cannot supersede itself"),
    ("POST", f"/api/v1/decisions/{PROPOSED}/evidence", {}, 422, "invalid", "exactly one of"),
    ("POST", f"/api/v1/decisions/{PROPOSED}/evidence",
     {"record": {"kind": "feedback", "id": "nope"}}, 404, "not_found", "unknown feedback"),
    ("POST", "/api/v1/decisions", {"team_id": "payments", "title": "?!"}, 400, "invalid",
     "letters or digits"),
    ("POST", "/api/v1/decisions", {"team_id": "payments", "title": "X",
     "expected_metric": "items_done"}, 422, "invalid", "together"),
    ("POST", f"/api/v1/nudges/{OFFERED}/done", {}, 409, "conflict", "cannot be marked done"),
    ("POST", "/api/v1/nudges/nope/accept", {}, 404, "not_found", "unknown nudge"),
    ("POST", f"/api/v1/nudges/{OFFERED}/dismiss", {"reason": ""}, 422, "invalid", "reason"),
    ("PUT", "/api/v1/feedback/nope/links/PAY-1", {"state": "confirmed"}, 404, "not_found",
     "feedback 'nope'"),
    ("PUT", "/api/v1/feedback/fb-1/links/NOPE-1", {"state": "confirmed"}, 404, "not_found",
     "work item 'NOPE-1'"),
    ("PUT", "/api/v1/feedback/fb-1/links/PAY-1", {"state": "maybe"}, 422, "invalid", "state"),
    ("PUT", "/api/v1/teams/payments/targets/nope", {"value": 1}, 404, "not_found",
     "unknown criterion"),
    ("POST", "/api/v1/initiatives/nope/advance", {}, 404, "not_found", "unknown initiative"),
    ("POST", "/api/v1/surveys/nope/answers", {"respondent": "my-private-token"}, 404,
     "not_found", "unknown survey"),
    ("POST", f"/api/v1/surveys/{SURVEY}/answers",
     {"answers": {"speed": "purple"}, "respondent": "my-private-token"}, 400, "invalid",
     "expected green"),
]  # fmt: skip


def test_refused_writes_answer_their_code_and_write_nothing(seeded: Site, tmp_path: Path) -> None:
    with fresh(seeded, tmp_path, "ws") as app:
        before = trail(app)
        for method, path, body, status, code, part in REFUSED:
            token = seeded.tokens[MEMBER]
            response = send(app, method, path, token, body)
            error = response.json()["error"]
            assert (response.status_code, error["code"]) == (status, code), (path, error)
            assert part in error["message"], (path, error)
            assert "\n" not in error["message"]
        assert trail(app) == before


def test_a_team_write_for_another_team_is_refused_by_the_objects_team(
    seeded: Site, tmp_path: Path
) -> None:
    """Growth's member may not decide payments' decision, nor log one for payments; it may
    log one for growth."""
    token = seeded.tokens["member of another team"]
    with fresh(seeded, tmp_path, "ws") as app:
        refused = send(app, "POST", f"/api/v1/decisions/{PROPOSED}/decide", token, {"choice": "1"})
        assert refused.status_code == 403
        assert "may not write for team payments" in refused.json()["error"]["message"]
        body = {"team_id": "payments", "title": "Mine"}
        assert send(app, "POST", "/api/v1/decisions", token, body).status_code == 403
        made = send(app, "POST", "/api/v1/decisions", token, body | {"team_id": "growth"})
        assert made.status_code == 200, made.text
        assert made.json()["team_id"] == "growth"


def test_a_decision_cites_a_metric_as_evidence(seeded: Site, tmp_path: Path) -> None:
    body = {"metric": {"metric": "items_done", "grain": "week", "by": ["team"]}}
    with fresh(seeded, tmp_path, "ws") as app:
        response = send(
            app, "POST", f"/api/v1/decisions/{DECIDED}/evidence", seeded.tokens[MEMBER], body
        )
    assert response.status_code == 200, response.text
    made = response.json()
    assert (made["kind"], made["decision_id"]) == ("metric", DECIDED)
    assert made["query_hash"]
    assert made["result"]


def test_a_survey_answer_needs_no_account_and_replaces_the_same_respondents(
    seeded: Site, tmp_path: Path
) -> None:
    path = f"/api/v1/surveys/{SURVEY}/answers"
    first = {"answers": {"speed": "red"}, "respondent": "token-of-mine-1"}
    with fresh(seeded, tmp_path, "ws") as app:
        assert send(app, "POST", path, None, first).json()["answers"] == 1
        again = first | {"answers": {"speed": "green", "fun": 3}}
        assert send(app, "POST", path, seeded.tokens["revoked token"], again).status_code == 200
        other = {"answers": {"speed": "amber"}, "respondent": "token-of-other-2"}
        assert send(app, "POST", path, None, other).status_code == 200
        answered = [e for e in trail(app) if e.action == "survey.answer"]
        ws = Workspace.open(app.state.served.root)
        try:
            rows = ws.store.sql(
                "SELECT count(DISTINCT respondent_hash), count(*) FROM survey_response"
            )
            stored = ws.store.sql("SELECT * FROM survey_response")
        finally:
            ws.close()
    assert rows == [(2, 3)]  # the first respondent's speed replaced, fun added; the other's
    assert "token-of-mine-1" not in repr(stored)
    assert [(e.actor, e.request_id, e.before, e.after) for e in answered] == [
        ("anonymous", None, None, None)
    ] * 3


def test_a_write_the_objects_state_does_not_allow_is_a_conflict(
    seeded: Site, tmp_path: Path
) -> None:
    token = seeded.tokens[MEMBER]
    expecting = {"team_id": "payments", "title": "Pair on reviews", "options": ["yes"]}
    expecting |= {"expected_metric": "items_done", "expected_direction": "up"}
    with fresh(seeded, tmp_path, "ws") as app:
        made = send(app, "POST", "/api/v1/decisions", token, expecting).json()["id"]
        undecided = send(app, "POST", f"/api/v1/decisions/{made}/review", token, {})
        assert undecided.status_code == 409
        assert "decide it before" in undecided.json()["error"]["message"]
        ws = Workspace.open(app.state.served.root)
        try:
            close_survey(ws, ME, SURVEY, at(30))
        finally:
            ws.close()
        body = {"answers": {"speed": "green"}, "respondent": "my-private-token"}
        closed = send(app, "POST", f"/api/v1/surveys/{SURVEY}/answers", None, body)
        assert closed.status_code == 409
        assert "takes no answers" in closed.json()["error"]["message"]
