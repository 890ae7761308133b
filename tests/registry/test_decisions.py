"""`productops decision ...` on a hand-made workspace: the log, frozen evidence, review."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from productops.workspace import Workspace
from tests.pillars.builders import item, items, land, teams
from tests.test_cli import run

# Items resolved per week (T0 is a Monday): week 0 two, week 1 three, week 2 four.
DONE_DAYS = (1, 2, 8, 9, 10, 15, 16, 17, 18)


def _done(ident: str, team: str, day: float) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    return item(
        ident, team, day - 1, [(day - 0.5, "In Progress", "in_progress"), (day, "Done", "done")]
    )


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    workspace = Workspace.init(root)
    teams(workspace.store, "payments", "growth")
    land(workspace.store, "person", [{"id": "ana", "team_id": "payments", "role": "pm"}])
    items(workspace.store, *[_done(f"w{i}", "payments", d) for i, d in enumerate(DONE_DAYS)])
    items(workspace.store, _done("g1", "growth", 2))
    workspace.close()
    return root


def _json(ws: Path, *args: str) -> Any:
    return json.loads(run("-w", str(ws), "decision", *args, "-f", "json"))


def _new(ws: Path, *extra: str) -> str:
    rows = _json(
        ws, "new", "Add a QA step", "--team", "payments", "--context", "Too many bugs.",
        "--option", "add QA", "--option", "do nothing", "--decider", "ana",
        "--expect", "items_done:up", "--by", "2024-05-01", "--review", "2024-05-15",
        "--at", "2024-04-01", *extra,
    )  # fmt: skip
    ident: str = rows[0]["id"]
    return ident


def test_log_decide_supersede_list_and_show(ws: Path) -> None:
    ident = _new(ws)
    assert ident == "productops:decision-add-a-qa-step"
    assert _new(ws) == "productops:decision-add-a-qa-step-2"
    decided = _json(ws, "decide", "add-a-qa-step", "--choice", "2", "--at", "2024-04-10")
    assert decided[0]["status"] == "decided"
    assert decided[0]["decision"] == "do nothing"
    assert "only a proposed decision" in run(
        "-w", str(ws), "decision", "decide", ident, "--choice", "1", code=1
    )
    assert "not an option" in run(
        "-w", str(ws), "decision", "decide", "add-a-qa-step-2", "--choice", "ship", code=1
    )
    _json(ws, "supersede", ident, "--by", "add-a-qa-step-2")
    listed = {r["id"]: r for r in _json(ws, "list")}
    assert listed[ident]["status"] == "superseded"
    assert listed[ident]["expected"] == "items_done up"
    assert [r["id"] for r in _json(ws, "list", "--status", "proposed")] == [f"{ident}-2"]
    shown = _json(ws, "show", ident)
    fields = {f["field"]: f["value"] for f in shown[ident]}
    assert fields["superseded_by"] == f"{ident}-2"
    assert fields["options"] == "add QA; do nothing"
    assert fields["deciders"] == "ana"
    assert shown["evidence"] == []


def test_frozen_evidence_reproduces_and_reports_rows_that_landed_later(ws: Path) -> None:
    ident = _new(ws)
    frozen = _json(ws, "evidence", ident, "--metric", "items_done", "--where", "team = payments")
    assert frozen[0]["value"] == 4  # week 2, the last complete week with items
    again = _json(ws, "verify", ident)[0]
    assert (again["reproduced"], again["since"], again["query"]) == ("same", "same", "same")
    assert again["reproduced_value"] == again["now_value"] == 4
    assert again["changes"] == ""

    workspace = Workspace.open(ws)
    items(workspace.store, _done("late", "payments", 3), _done("late2", "payments", 17))
    workspace.close()
    after = _json(ws, "verify", ident)[0]
    assert after["reproduced"] == "same"
    assert after["reproduced_value"] == 4
    assert after["since"] == "different"
    assert after["now_value"] == 5
    assert after["changes"] == "2024-04-01: value 2 -> 3; 2024-04-15: value 4 -> 5"

    evidence = _json(ws, "show", ident)["evidence"][0]
    workspace = Workspace.open(ws)
    stored = workspace.store.arrow(
        "SELECT spec, result, query, query_hash, data_as_of, captured_at FROM decision_evidence"
    ).to_pylist()[0]
    workspace.close()
    assert json.loads(stored["spec"]) == {
        "metric": "items_done", "by": [], "grain": "week", "where": ["team = payments"],
        "since": None, "until": None,
    }  # fmt: skip
    assert [r["value"] for r in json.loads(stored["result"])] == [2, 3, 4]
    assert "SELECT" in stored["query"]
    assert len(stored["query_hash"]) == 64
    assert stored["data_as_of"] == stored["captured_at"]
    assert evidence["query_hash"] == stored["query_hash"]


def test_record_evidence_freezes_the_row(ws: Path) -> None:
    ident = _new(ws)
    workspace = Workspace.open(ws)
    land(workspace.store, "insight", [{"id": "i1", "team_id": "payments", "title": "QA helps"}])
    workspace.close()
    row = _json(ws, "evidence", ident, "--insight", "i1")[0]
    assert (row["kind"], row["ref_id"]) == ("insight", "t:i1")
    assert _json(ws, "verify", ident)[0]["reproduced"] == "same"
    workspace = Workspace.open(ws)
    land(workspace.store, "insight", [{"id": "i1", "team_id": "payments", "title": "QA hurts"}])
    workspace.close()
    checked = _json(ws, "verify", ident)[0]
    assert checked["since"] == "different"
    assert checked["changes"] == "title: QA helps -> QA hurts"


def test_review_records_the_outcome(ws: Path) -> None:
    ident = _new(ws)
    assert "decide it before" in run("-w", str(ws), "decision", "review", ident, code=1)
    _json(ws, "decide", ident, "--choice", "add QA", "--at", "2024-04-08T12:00")
    # Baseline: week 0 (the last week ended by the decision), 2 items; at the review on
    # 2024-04-22 the last ended week is week 2, with 4 items: up, as expected.
    reviewed = _json(ws, "review", ident, "--at", "2024-04-22")[0]
    assert (reviewed["baseline"], reviewed["outcome_value"], reviewed["outcome_met"]) == (
        2,
        4,
        True,
    )
    fields = {f["field"]: f["value"] for f in _json(ws, "show", ident)[ident]}
    assert fields["outcome_value"] == 4
    assert fields["outcome_at"].startswith("2024-04-22")
    assert fields["outcome_met"] is True
    too_soon = run("-w", str(ws), "decision", "review", ident, "--at", "2024-04-09", code=1)
    assert "no week has ended since the decision" in too_soon


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("evidence", "add-a-qa-step", "--metric", "nope"), "unknown metric 'nope'"),
        (("evidence", "nope", "--metric", "items_done"), "unknown decision 'nope'"),
        (("evidence", "add-a-qa-step"), "give exactly one of --metric"),
        (("evidence", "add-a-qa-step", "--metric", "items_done", "--by", "colour"), "--by colour"),
        (("evidence", "add-a-qa-step", "--insight", "nope"), "unknown insight 'nope'"),
        (("show", "nope"), "unknown decision 'nope'"),
        (("new", "X", "--team", "payments", "--review", "soon"), "--review 'soon': expected"),
        (("new", "X", "--team", "nope"), "unknown team 'nope'"),
        (("new", "?!", "--team", "payments"), "decision title '?!': use letters or digits"),
        (("new", "X", "--team", "payments", "--expect", "items_done"), "METRIC:up or METRIC:down"),
        (("new", "X", "--team", "payments", "--expect", "dau_lens:up"), "no metric 'dau_lens'"),
        (("new", "X", "--team", "payments", "--decider", "bob"), "--decider 'bob'"),
        (("new", "X", "--team", "payments", "--expect", "user_activity:up"), "is a lens"),
        (("supersede", "add-a-qa-step", "--by", "add-a-qa-step"), "cannot supersede itself"),
        (("review", "add-a-qa-step", "--at", "05/01/2024"), "--at '05/01/2024'"),
        (("list", "--status", "open"), "--status 'open'"),
    ],
)
def test_bad_input_is_a_clear_error(ws: Path, args: tuple[str, ...], message: str) -> None:
    _new(ws)
    assert message in run("-w", str(ws), "decision", *args, code=1)


def test_commands_log_usage_for_the_configured_user(
    ws: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run("-w", str(ws), "metrics", "search", "items")
    monkeypatch.setenv("PRODUCTOPS_USER", "ana")
    run("-w", str(ws), "metrics", "search", "items done")
    run("-w", str(ws), "metrics", "show", "items_done")
    run("-w", str(ws), "metrics", "query", "items_done", "--by", "team")
    ident = _new(ws)
    workspace = Workspace.open(ws)
    rows = workspace.store.arrow(
        "SELECT person_id, team_id, kind, target, properties FROM usage_event ORDER BY ts"
    ).to_pylist()
    workspace.close()
    assert [(r["person_id"], r["team_id"], r["kind"], r["target"]) for r in rows] == [
        (None, None, "search", "items"),
        ("ana", "payments", "search", "items done"),
        ("ana", "payments", "open", "items_done"),
        ("ana", "payments", "query", "items_done"),
        ("ana", "payments", "author", ident),
    ]
    assert json.loads(rows[1]["properties"])["results"] >= 1
    assert json.loads(rows[3]["properties"])["by"] == ["team"]
