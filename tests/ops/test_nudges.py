"""Nudges: the rule library, the gap trigger, each readiness rule, the lifecycle and its CLI."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from typer.testing import CliRunner

from productops.cli import app
from productops.errors import UsageError
from productops.ops.criteria import CRITERIA
from productops.ops.nudges import RULES, check_move, gap, offers, readiness
from productops.ops.scorecard import Score
from productops.workspace import Workspace
from tests.pillars.builders import at, item, items, land

NOW = datetime(2024, 10, 1, tzinfo=UTC)
Q3 = datetime(2024, 7, 1, tzinfo=UTC)
RULE = RULES["workflow_nonconforming"]  # process.workflow_adherence under 80 %, early stages
runner = CliRunner()


def sc(
    criterion: str, value: float | None, target: float | None = None, team: str = "payments"
) -> Score:
    direction = CRITERIA[criterion].direction
    met = None
    if value is not None and target is not None:
        met = value >= target if direction == "higher" else value <= target
    pillar = CRITERIA[criterion].pillar
    return Score(
        criterion, pillar, team, "quarter", Q3, value, "%", 1, None, target, None, None, met
    )


def test_the_library_covers_each_pillar_with_playbooks() -> None:
    assert len(RULES) >= 10
    assert {r.pillar for r in RULES.values()} == {"data", "customer", "process"}
    for rule in RULES.values():
        assert rule.criterion in CRITERIA
        assert rule.next_step
        assert len(rule.playbook) >= 2
        assert set(rule.stages) <= {"unaware", "aware", "practising", "habitual"}


def test_a_gap_is_a_missed_target_or_else_the_default_threshold() -> None:
    assert gap(RULE, sc("process.workflow_adherence", 70.0))  # under 80
    assert not gap(RULE, sc("process.workflow_adherence", 85.0))
    assert not gap(RULE, sc("process.workflow_adherence", 70.0, target=65.0))  # its own target met
    assert gap(RULE, sc("process.workflow_adherence", 90.0, target=95.0))
    assert not gap(RULE, sc("process.workflow_adherence", None))
    slow = RULES["review_wait_high"]  # lower is better: over 20 days
    assert gap(slow, sc("process.time_to_market", 25.0))
    assert not gap(slow, sc("process.time_to_market", 15.0))


def ready(**kw: Any) -> list[str]:
    args: dict[str, Any] = {
        "stage": "aware",
        "focus": "process",
        "open_count": 0,
        "dismissed_at": None,
        "now": NOW,
    }
    return readiness(RULE, **(args | kw))


def test_each_readiness_rule() -> None:
    assert ready() == []
    assert ready(stage="practising") == ["process stage practising is not unaware or aware"]
    assert ready(focus="customer") == ["the team's focus is customer, not process"]
    assert ready(focus=None) == ["the team's focus is not set, not process"]
    assert ready(open_count=3) == ["3 nudges open (at most 3)"]
    assert ready(open_count=2) == []
    assert ready(open_count=4, max_open=5) == []
    recent = NOW - timedelta(days=30)
    assert ready(dismissed_at=recent) == ["dismissed on 2024-09-01, less than 90 days ago"]
    assert ready(dismissed_at=NOW - timedelta(days=91)) == []
    assert ready(dismissed_at=recent, dismissed_days=20) == []


def test_offers_respect_the_cap_running_rules_and_dismissals() -> None:
    latest = {
        ("process.workflow_adherence", "payments"): sc("process.workflow_adherence", 50.0),
        ("process.clarity", "payments"): sc("process.clarity", 50.0),
        ("process.time_to_market", "payments"): sc("process.time_to_market", 30.0),
        ("process.workflow_adherence", "growth"): sc(
            "process.workflow_adherence", 50.0, team="growth"
        ),
    }
    stages = {("payments", "process"): "aware", ("growth", "process"): "aware"}
    focus = {"payments": "process", "growth": "customer"}
    got = offers(latest, stages, focus, [], NOW, max_open=2)
    assert [(o.team_id, o.rule.id) for o in got] == [
        ("payments", "review_wait_high"),
        ("payments", "workflow_nonconforming"),
    ]  # the cap of 2 stops ownership_gaps; growth's focus is customer
    assert got[0].readiness == {"stage": "aware", "focus": "process", "open": 0}
    stored: list[dict[str, Any]] = [
        {"team_id": "payments", "rule": "review_wait_high", "status": "accepted"},
        {"team_id": "payments", "rule": "workflow_nonconforming", "status": "dismissed"}
        | {"status_at": NOW - timedelta(days=10)},
    ]
    got = offers(latest, stages, focus, stored, NOW, max_open=3)
    assert [o.rule.id for o in got] == ["ownership_gaps"]


def test_lifecycle_moves() -> None:
    check_move("offered", "accepted")
    check_move("offered", "dismissed")
    check_move("accepted", "done")
    with pytest.raises(UsageError, match="cannot be marked done"):
        check_move("offered", "done")
    with pytest.raises(UsageError, match="closed"):
        check_move("dismissed", "accepted")


def _cli(ws: Workspace, *args: str, ok: bool = True) -> Any:
    result = runner.invoke(app, ["--workspace", str(ws.root), *args])
    assert (result.exit_code == 0) == ok, result.output
    return result


def test_cli_offer_accept_done_measure_and_dismiss(with_teams: Workspace) -> None:
    ws = with_teams
    items(
        ws.store,
        *(
            item(f"w{i}", "payments", 0, [], type="story", released_at=at(30 + i), owner_id="p1")
            for i in range(3)
        ),
    )  # time to market 31 days in 2024-Q2: over review_wait_high's 20
    offered = json.loads(
        _cli(
            ws, "nudge", "offer", "--period", "2024-Q2", "--as-of", "2024-07-02", "-f", "json"
        ).output
    )
    assert [(o["team_id"], o["rule"]) for o in offered] == [("payments", "review_wait_high")]
    ref = offered[0]["id"]
    again = _cli(ws, "nudge", "offer", "--period", "2024-Q2", "--as-of", "2024-07-02", "-f", "json")
    assert json.loads(again.output) == []  # already open
    accepted = _cli(ws, "nudge", "accept", ref, "--as-of", "2024-07-02")
    assert "Next step:" in accepted.output
    row = ws.store.sql("SELECT status, baseline FROM nudge WHERE id = ?", [ref])[0]
    assert row == ("accepted", 31.0)
    _cli(ws, "nudge", "dismiss", ref, "--reason", " ", ok=False)
    _cli(ws, "nudge", "done", ref, "--as-of", "2024-08-01")
    early = _cli(ws, "nudge", "measure", "--as-of", "2024-08-01", "-f", "json")
    assert json.loads(early.output) == []  # not 90 days yet
    items(
        ws.store, item("w9", "payments", 95, [], type="story", released_at=at(100), owner_id="p1")
    )
    late = json.loads(_cli(ws, "nudge", "measure", "--as-of", "2024-10-02", "-f", "json").output)
    assert [(n["baseline"], n["after"]) for n in late] == [(31.0, 5.0)]  # 2024-Q3: one item
    _cli(ws, "nudge", "accept", ref, ok=False)
    listed = json.loads(_cli(ws, "nudge", "list", "--status", "done", "-f", "json").output)
    assert [n["id"] for n in listed] == [ref]


def test_cli_dismiss_keeps_the_reason_and_blocks_the_rule(with_teams: Workspace) -> None:
    ws = with_teams
    items(ws.store, item("w1", "payments", 0, [], type="story", released_at=at(40), owner_id="p"))

    def offer(when: str) -> list[dict[str, Any]]:
        args = ("nudge", "offer", "--period", "2024-Q2", "--as-of", when, "-f", "json")
        found: list[dict[str, Any]] = json.loads(_cli(ws, *args).output)
        return found

    ref = offer("2024-07-02")[0]["id"]
    _cli(
        ws,
        "nudge",
        "dismiss",
        ref,
        "--reason",
        "Pairing on reviews already",
        "--as-of",
        "2024-07-02",
    )
    assert ws.store.sql("SELECT reason FROM nudge")[0][0] == "Pairing on reviews already"
    assert offer("2024-09-01") == []  # dismissed 61 days ago
    team = {"id": "payments", "name": "Payments", "parent_id": "product"}
    land(ws.store, "team", [team])
    assert offer("2024-10-05") == []  # 95 days, but no focus pillar: not ready
    land(ws.store, "team", [team | {"focus_pillar": "process"}])
    assert [o["rule"] for o in offer("2024-10-05")] == ["review_wait_high"]


def test_a_rule_offered_again_at_the_same_time_keeps_the_nudge_before(
    with_teams: Workspace,
) -> None:
    ws = with_teams
    items(ws.store, item("w1", "payments", 0, [], type="story", released_at=at(40), owner_id="p"))
    args = ("nudge", "offer", "--period", "2024-Q2", "--as-of", "2024-07-02", "-f", "json")
    first = json.loads(_cli(ws, *args).output)[0]["id"]
    _cli(ws, "nudge", "accept", first, "--as-of", "2024-07-02")
    _cli(ws, "nudge", "done", first, "--as-of", "2024-07-02")
    second = json.loads(_cli(ws, *args).output)[0]["id"]  # the gap still shows: offered anew
    assert second != first
    rows = ws.store.sql("SELECT id, status FROM nudge ORDER BY offered_at, id")
    assert sorted(rows) == sorted([(first, "done"), (second, "offered")])
