"""`productops survey` and `productops activity` run in-process on real workspaces, and the
demo's small survey stays suppressed."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from productops import ops
from productops.config import CONFIG_FILE, load_config, write_config
from productops.demo import build_demo
from productops.workspace import Workspace
from tests.test_cli import run

SURVEY = "productops:survey-payments-q2-check"


@pytest.fixture
def ws(tmp_path: Path, teams_csv: Path) -> Path:
    run("init", str(tmp_path / "ws"))
    run("-w", str(tmp_path / "ws"), "import", "team", str(teams_csv))
    return tmp_path / "ws"


def _json(ws: Path, *args: str) -> Any:
    return json.loads(run("-w", str(ws), *args, "-f", "json"))


def _answer(ws: Path, *answers: str, token: str | None = None, comment: str | None = None) -> None:
    args = ["-w", str(ws), "survey", "answer", "payments-q2-check", "--at", "2024-04-03T10:17"]
    args += [x for a in answers for x in ("--answer", a)]
    args += ["--respondent", token] if token else []
    args += ["--comment", comment] if comment else []
    run(*args)


def test_survey_round_trip_new_answer_close_results(ws: Path) -> None:
    (made,) = _json(
        ws, "survey", "new", "payments", "health_check", "Q2 check", "--at", "2024-04-01"
    )
    assert made["id"] == SURVEY
    assert made["status"] == "open"
    _answer(ws, "Speed=green", "fun=amber", token="alice-secret", comment="Too many meetings")
    _answer(ws, "speed=red", "fun=3", token="bob", comment="Fine")
    _answer(ws, "speed=amber", "fun=green", token="cy", comment="Good pace")
    _answer(ws, "speed=green", token="alice-secret")  # the same respondent again: replaced
    results = _json(ws, "survey", "results", "payments-q2-check")
    speed = next(r for r in results["health_check results"] if r["question"] == "speed")
    assert speed["respondents"] == 3
    assert speed["suppressed"] is True  # open: published at the close
    assert speed["score"] is None
    assert results["comments"] == []
    (closed,) = _json(ws, "survey", "close", SURVEY, "--at", "2024-04-10")
    assert closed["status"] == "closed"
    results = _json(ws, "survey", "results", "payments-q2-check")
    speed = next(r for r in results["health_check results"] if r["question"] == "speed")
    assert speed["respondents"] == 3
    assert speed["suppressed"] is False
    assert speed["score"] == pytest.approx(2.0)
    assert speed["colour"] == "amber"
    assert [c["text"] for c in results["comments"]] == ["Fine", "Good pace", "Too many meetings"]
    out = run("-w", str(ws), "survey", "answer", SURVEY, "--answer", "speed=green", code=1)
    assert "takes no answers" in out
    (listed,) = _json(ws, "survey", "list", "--team", "payments")
    assert (listed["status"], listed["respondents"]) == ("closed", 3)
    table = run("-w", str(ws), "survey", "results", SURVEY)
    assert "speed" in table
    assert "Too many meetings" in table


def test_answers_store_no_identity(ws: Path) -> None:
    run(
        "-w", str(ws), "survey", "new", "payments", "health_check", "Q2 check", "--at", "2024-04-01"
    )
    _answer(ws, "speed=green", token="alice-secret", comment="hi")
    workspace = Workspace.open(ws)
    try:
        rows = workspace.store.arrow("SELECT * FROM survey_response").to_pylist()
    finally:
        workspace.close()
    assert len(rows) == 2
    for row in rows:
        assert "alice" not in json.dumps(row, default=str)
        assert row["respondent_hash"] != hashlib.sha256(b"alice-secret").hexdigest()
        assert row["submitted_at"] is None


def test_bad_answers_are_one_line_errors(ws: Path) -> None:
    run("-w", str(ws), "survey", "new", "growth", "stakeholder", "Q2 stakeholders")
    out = run("-w", str(ws), "survey", "answer", "growth-q2-stakeholders", "-a", "sat=7", code=1)
    assert "off the scale (1-5)" in out
    assert len(out.strip().splitlines()) == 1
    out = run("-w", str(ws), "survey", "answer", "growth-q2-stakeholders", "-a", "sat", code=1)
    assert "QUESTION=VALUE" in out
    out = run("-w", str(ws), "survey", "new", "mars", "health_check", "X", code=1)
    assert "unknown team 'mars'" in out
    out = run("-w", str(ws), "survey", "new", "growth", "pulse", "X", code=1)
    assert "survey kind 'pulse'" in out


def test_the_min_group_setting_is_used(ws: Path) -> None:
    config = load_config(ws / CONFIG_FILE)
    raised = config.model_copy(
        update={"surveys": config.surveys.model_copy(update={"min_group": 4})}
    )
    write_config(ws / CONFIG_FILE, raised)
    run("-w", str(ws), "survey", "new", "growth", "ops_support", "Support", "--at", "2024-04-01")
    for value in ("4", "5", "3"):
        run(
            "-w", str(ws), "survey", "answer", "growth-support", "-a", f"helpful={value}",
            "--respondent", value,
        )  # fmt: skip
    run("-w", str(ws), "survey", "close", "growth-support")
    (row,) = _json(ws, "survey", "results", "growth-support")["ops_support results"]
    assert row["respondents"] == 3
    assert row["suppressed"] is True
    assert row["reason"] == "fewer than 4 respondents"


def test_activity_log_list_summary_onboarding_retros(ws: Path) -> None:
    w = ["-w", str(ws), "activity"]
    run(
        *w,
        "log",
        "payments",
        "retrospective",
        "--at",
        "2024-04-02T14:00",
        "--attendees",
        "6",
        "--bottleneck",
        "Review wait",
        "--action",
        "Pair on reviews",
        "--action",
        "WIP limit",
    )
    run(*w, "log", "payments", "workshop", "--title", "Story mapping", "--at", "2024-05-02")
    run(*w, "log", "product", "training", "--at", "2024-05-03", "--attendees", "12")
    run(*w, "log", "payments", "onboarding", "--at", "2024-04-01", "--ended", "2024-04-21")
    out = run(*w, "log", "payments", "workshop", "--action", "x", code=1)
    assert "retrospective or process_review" in out
    listed = _json(ws, "activity", "list", "--team", "payments")
    assert [r["kind"] for r in listed] == ["workshop", "retrospective", "onboarding"]
    assert listed[2]["onboarding_days"] == pytest.approx(20)
    summary = _json(ws, "activity", "summary")
    payments = next(r for r in summary if r["team_id"] == "payments")
    assert (payments["retrospective"], payments["workshop"], payments["training"]) == (1, 1, 0)
    (onboarding,) = _json(ws, "activity", "onboarding", "--team", "payments")
    assert onboarding["median_days"] == pytest.approx(20)
    assert onboarding["members"] == 1
    (retro,) = _json(ws, "activity", "retros", "--grain", "month")
    assert (retro["with_bottleneck"], retro["actions"], retro["done"]) == (1, 2, 0)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    ws = Workspace.init(tmp_path_factory.mktemp("demo") / "ws")
    build_demo(ws.store, ws.manifest_path)
    yield ws
    ws.close()


def test_the_demo_small_survey_is_suppressed(demo: Workspace) -> None:
    small = json.loads(demo.manifest_path.read_text(encoding="utf-8"))["small_survey"]
    b = demo.backend()
    s, r = b.table("survey"), b.table("survey_response")
    rows = ops.health_check(s, r).to_pyarrow().to_pylist()
    mine = [row for row in rows if row["survey_id"] == small["survey_id"]]
    assert mine
    assert all(row["suppressed"] and row["score"] is None for row in mine)
    assert all(row["respondents"] == small["respondents"] for row in mine)
    assert any(not row["suppressed"] for row in rows)
    assert not any(
        c["survey_id"] == small["survey_id"] for c in ops.comments(s, r).to_pyarrow().to_pylist()
    )
    out = run("-w", str(demo.root), "survey", "results", small["survey_id"], "-f", "json")
    shown = json.loads(out)["health_check results"]
    assert shown
    assert all(row["score"] is None and row["suppressed"] for row in shown)


def test_the_demo_planted_red_health_check_and_activities_show(demo: Workspace) -> None:
    b = demo.backend()
    rows = ops.health_check(b.table("survey"), b.table("survey_response")).to_pyarrow().to_pylist()
    colours = {row["colour"] for row in rows if not row["suppressed"]}
    assert colours == {"red", "amber", "green"}
    counts = ops.activity_counts(b.table("activity")).to_pyarrow().to_pylist()
    kinds = {row["kind"] for row in counts}
    assert {"workshop", "insight_session", "training", "tool_onboarding", "retrospective"} <= kinds
