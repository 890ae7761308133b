"""Every write of the decision log, surveys and activities, run through the CLI, leaves exactly
one audit row; a refused write leaves none; a survey answer's row names no one."""

from __future__ import annotations

import getpass
from datetime import time
from pathlib import Path

import pytest

from productops.services.audit import AuditEvent, events
from productops.workspace import Workspace
from tests.pillars.builders import item, items, land, teams
from tests.test_cli import run

ME = f"cli:{getpass.getuser()}"
DECISION = "productops:decision-add-a-qa-step"
SURVEY = "productops:survey-payments-pulse"
RETRO = "productops:activity-retrospective-payments-20240405T1000"


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    """Two teams, a person, an insight and items done on three weeks (for metric evidence)."""
    root = tmp_path / "ws"
    workspace = Workspace.init(root)
    teams(workspace.store, "payments", "growth")
    land(workspace.store, "person", [{"id": "ana", "team_id": "payments", "role": "pm"}])
    land(workspace.store, "insight", [{"id": "i1", "team_id": "payments", "title": "QA helps"}])
    done = [
        item(f"w{i}", "payments", d - 1, [(d - 0.5, "Doing", "in_progress"), (d, "Done", "done")])
        for i, d in enumerate((1, 2, 8, 9, 10, 15, 16, 17, 18))
    ]
    items(workspace.store, *done)
    workspace.close()
    return root


def _trail(root: Path) -> list[AuditEvent]:
    workspace = Workspace.open(root)
    try:
        return events(workspace)
    finally:
        workspace.close()


def _cli(root: Path, *args: str, code: int = 0) -> str:
    return run("-w", str(root), *args, code=code)


# (command, action, object, actor); each runs after the ones before it.
WRITES: list[tuple[tuple[str, ...], str, str, str]] = [
    (
        ("decision", "new", "Add a QA step", "--team", "payments", "--option", "add QA",
         "--option", "do nothing", "--decider", "ana", "--expect", "items_done:up",
         "--at", "2024-04-01"),
        "decision.new", f"decision:{DECISION}", ME,
    ),
    (
        ("decision", "evidence", "add-a-qa-step", "--metric", "items_done"),
        "decision.evidence", "decision_evidence:productops:evidence-add-a-qa-step-1", ME,
    ),
    (
        ("decision", "evidence", "add-a-qa-step", "--insight", "i1"),
        "decision.evidence", "decision_evidence:productops:evidence-add-a-qa-step-2", ME,
    ),
    (
        ("decision", "decide", "add-a-qa-step", "--choice", "add QA", "--at", "2024-04-08T12:00"),
        "decision.decide", f"decision:{DECISION}", ME,
    ),
    (
        ("decision", "review", "add-a-qa-step", "--at", "2024-04-22"),
        "decision.review", f"decision:{DECISION}", ME,
    ),
    (
        ("decision", "new", "Drop the QA step", "--team", "payments", "--at", "2024-05-01"),
        "decision.new", "decision:productops:decision-drop-the-qa-step", ME,
    ),
    (
        ("decision", "supersede", "add-a-qa-step", "--by", "drop-the-qa-step"),
        "decision.supersede", f"decision:{DECISION}", ME,
    ),
    (
        ("survey", "new", "payments", "health_check", "Pulse", "--at", "2024-04-01"),
        "survey.new", f"survey:{SURVEY}", ME,
    ),
    (
        ("survey", "answer", "payments-pulse", "-a", "speed=green", "--at", "2024-04-02"),
        "survey.answer", f"survey:{SURVEY}", "anonymous",
    ),
    (
        ("survey", "close", "payments-pulse", "--at", "2024-04-30"),
        "survey.close", f"survey:{SURVEY}", ME,
    ),
    (
        ("activity", "log", "payments", "retrospective", "--at", "2024-04-05T10:00",
         "--bottleneck", "Review wait"),
        "activity.log", f"activity:{RETRO}", ME,
    ),
    (
        ("activity", "log", "payments", "retrospective", "--at", "2024-04-05T10:00",
         "--action", "Pair on reviews"),
        "activity.log", f"activity:{RETRO}", ME,
    ),
]  # fmt: skip


def test_every_governance_write_command_leaves_exactly_one_audit_row(ws: Path) -> None:
    for command, action, obj, actor in WRITES:
        seen = {e.id for e in _trail(ws)}
        _cli(ws, *command)
        [new] = [e for e in _trail(ws) if e.id not in seen]  # an answer's row sorts by its day
        assert (new.action, new.object, new.actor) == (action, obj, actor), command
    by_action = {e.action: e for e in _trail(ws)}
    decided = by_action["decision.decide"]
    assert decided.before is not None
    assert decided.after is not None
    assert (decided.before["status"], decided.after["status"]) == ("proposed", "decided")
    assert decided.after["decision"] == "add QA"
    reviewed = by_action["decision.review"].after
    assert reviewed is not None
    assert reviewed["outcome_met"] is True
    assert by_action["survey.close"].after is not None
    assert by_action["survey.close"].after["closed_at"].startswith("2024-04-30")
    logged = [e for e in _trail(ws) if e.action == "activity.log"]
    assert logged[0].before is None
    assert logged[1].before == logged[0].after
    assert logged[1].after is not None
    assert logged[1].after["notes"] == "Action: Pair on reviews"
    evidence = by_action["decision.evidence"].after
    assert evidence is not None
    assert "result" not in evidence
    assert "query" not in evidence


def test_reads_leave_no_audit_row(ws: Path) -> None:
    for command, *_ in WRITES:
        _cli(ws, *command)
    before = len(_trail(ws))
    for read in (
        ("decision", "verify", "add-a-qa-step"),
        ("decision", "show", "add-a-qa-step"),
        ("decision", "list"),
        ("survey", "list"),
        ("survey", "results", "payments-pulse"),
        ("activity", "list"),
    ):
        _cli(ws, *read)
    assert len(_trail(ws)) == before


REFUSED: list[tuple[tuple[str, ...], str]] = [
    (("decision", "new", "?!", "--team", "payments"), "use letters or digits"),
    (("decision", "new", "X", "--team", "payments", "--decider", "nobody"), "no such id"),
    (("decision", "decide", "add-a-qa-step", "--choice", "ship"), "not an option"),
    (("decision", "review", "add-a-qa-step"), "decide it before"),
    (("decision", "supersede", "add-a-qa-step", "--by", "add-a-qa-step"), "cannot supersede"),
    (("decision", "evidence", "add-a-qa-step"), "give exactly one of"),
    (("decision", "evidence", "add-a-qa-step", "--feedback", "nope"), "unknown feedback"),
    (("survey", "new", "payments", "vibes", "Mood"), "survey kind 'vibes'"),
    (("survey", "new", "payments", "health_check", "Pulse"), "exists already"),
    (("survey", "answer", "payments-pulse", "-a", "speed=purple"), "expected green"),
    (("survey", "answer", "payments-pulse", "--at", "2024-01-01", "-a", "x=1"), "opens on"),
    (("survey", "close", "payments-pulse", "--at", "2024-01-01"), "close it after that"),
    (("activity", "log", "payments", "party"), "activity kind 'party'"),
    (("activity", "log", "payments", "workshop", "--bottleneck", "x"), "belong to a retro"),
    (
        ("activity", "log", "payments", "workshop", "--at", "2024-04-05", "--ended", "2024-04-01"),
        "before it starts",
    ),
]


def test_refused_writes_leave_no_audit_row(ws: Path) -> None:
    _cli(ws, *WRITES[0][0])
    _cli(ws, "survey", "new", "payments", "health_check", "Pulse", "--at", "2024-04-01")
    before = _trail(ws)
    for command, message in REFUSED:
        assert message in _cli(ws, *command, code=1), command
    assert _trail(ws) == before


def test_a_survey_answer_audit_row_names_no_respondent_and_no_answer(ws: Path) -> None:
    _cli(ws, "survey", "new", "payments", "health_check", "Pulse", "--at", "2024-04-01")
    token, comment = "my-private-token-7f3a", "The reviews take forever"
    _cli(
        ws, "survey", "answer", "payments-pulse", "-a", "speed=red", "-a", "fun=amber",
        "--comment", comment, "--respondent", token, "--at", "2024-04-02",
    )  # fmt: skip
    workspace = Workspace.open(ws)
    try:
        [(row,)] = workspace.store.sql(
            "SELECT a::VARCHAR FROM audit_event a WHERE action = 'survey.answer'"
        )
        hashes = [h for (h,) in workspace.store.sql("SELECT respondent_hash FROM survey_response")]
    finally:
        workspace.close()
    answered = [e for e in _trail(ws) if e.action == "survey.answer"]
    assert [(e.actor, e.object, e.before, e.after) for e in answered] == [
        ("anonymous", f"survey:{SURVEY}", None, None)
    ]
    assert answered[0].at.time() == time(0), "an answer's row is stamped with its day only"
    assert hashes
    for secret in (token, comment, ME, "speed", "fun", *hashes):
        assert secret not in row, secret
