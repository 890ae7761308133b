"""Survey anonymity, attacked: each test is one way someone tried to learn a colleague's answer.

1. answering twice without a token, so one real answer makes a group of three;
2. a junk answer lifting two respondents' comments over the threshold;
3. comparing results before and after one more answer;
4. matching `respondent_hash` against guessed names with what the workspace
   holds, and reading the order of answers off the store.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from productops.errors import ConfigError, WorkspaceError
from productops.ingest.privacy import SALT_FILE, key_dir, workspace_salt
from productops.registry.surveys import respondent_hash
from productops.workspace import Workspace
from tests.test_cli import run

SURVEY = "productops:survey-payments-pulse"


@pytest.fixture
def ws(tmp_path: Path, teams_csv: Path) -> Path:
    run("init", str(tmp_path / "ws"))
    run("-w", str(tmp_path / "ws"), "import", "team", str(teams_csv))
    run("-w", str(tmp_path / "ws"), "survey", "new", "payments", "health_check", "Pulse")
    return tmp_path / "ws"


def _answer(ws: Path, colour: str, token: str | None = None, comment: str | None = None) -> None:
    args = ["-w", str(ws), "survey", "answer", SURVEY, "--answer", f"speed={colour}"]
    args += ["--respondent", token] if token else []
    args += ["--comment", comment] if comment else []
    run(*args)


def _results(ws: Path) -> Any:
    return json.loads(run("-w", str(ws), "survey", "results", SURVEY, "-f", "json"))


def _close(ws: Path) -> None:
    run("-w", str(ws), "survey", "close", SURVEY)


def test_answering_twice_without_a_token_counts_one_respondent(ws: Path) -> None:
    _answer(ws, "green")  # the attacker, twice, without a token
    _answer(ws, "green")
    _answer(ws, "red", token="the-victim")
    _close(ws)
    (speed,) = _results(ws)["health_check results"]
    assert speed["respondents"] == 2
    assert speed["suppressed"] is True
    assert speed["red_share"] is None


def test_a_junk_answer_does_not_lift_two_comments_over_the_threshold(ws: Path) -> None:
    _answer(ws, "red", token="ana", comment="my manager ignores me")
    _answer(ws, "green", token="bo", comment="fine")
    run("-w", str(ws), "survey", "answer", SURVEY, "-a", "junk=1", "--respondent", "attacker")
    _close(ws)
    results = _results(ws)
    assert results["comments"] == []
    out = run("-w", str(ws), "survey", "results", SURVEY)
    assert "my manager ignores me" not in out


def test_no_two_published_results_differ_by_one_answer(ws: Path) -> None:
    for token, colour in (("a", "red"), ("b", "green"), ("c", "green")):
        _answer(ws, colour, token=token)
    before = _results(ws)["health_check results"]
    _answer(ws, "red", token="d")  # the answer the attacker wants to see
    after = _results(ws)["health_check results"]
    _close(ws)
    (final,) = _results(ws)["health_check results"]
    # Open: nothing published, before nor after; closed: published once, all four.
    assert [row["red_share"] for row in before + after] == [None, None]
    assert {row["reason"] for row in before + after} == {
        "survey still open: results are published when it closes"
    }
    assert (final["respondents"], final["red_share"]) == (4, 0.5)


def test_hashes_cannot_be_matched_from_the_workspace_nor_the_order_read(ws: Path) -> None:
    names = ["ana", "bo", "cy", "dee", "eve"]
    for name in names:
        _answer(ws, "green", token=name)
    workspace = Workspace.open(ws)
    try:
        stored = workspace.store.arrow(
            "SELECT id, respondent_hash, submitted_at, ingested_at FROM survey_response"
        ).to_pylist()
        runs = workspace.store.sql(
            "SELECT count(*) FROM import_run WHERE table_name = 'survey_response'"
        )[0][0]
        salt = workspace_salt(ws)
    finally:
        workspace.close()
    hashes = {row["respondent_hash"] for row in stored}
    # Every file of the workspace, tried as the salt, matches no guessed name.
    for path in ws.rglob("*"):
        if path.is_file() and path.stat().st_size < 4096:
            guess = path.read_text(encoding="utf-8", errors="replace").strip()
            assert not {respondent_hash(guess, SURVEY, n) for n in names} & hashes, path
    assert not (ws / SALT_FILE).exists()
    assert not Path(salt).is_relative_to(ws)
    (key,) = (key_dir() / "salts").iterdir()
    assert key.stat().st_mode & 0o077 == 0
    # Stored in the order of their ids (hashes), with no time that orders them.
    assert [row["id"] for row in stored] == sorted(row["id"] for row in stored)
    assert {row["submitted_at"] for row in stored} == {None}
    assert len({row["ingested_at"] for row in stored}) == 1
    assert runs == 0


def test_an_old_salt_in_the_workspace_moves_out_and_keeps_its_hashes(tmp_path: Path) -> None:
    root = tmp_path / "old"
    root.mkdir()
    (root / SALT_FILE).write_text("a" * 64, encoding="utf-8")
    assert workspace_salt(root) == "a" * 64
    assert not (root / SALT_FILE).exists()
    assert workspace_salt(root) == "a" * 64  # from the key file now
    (root / SALT_FILE).write_text("b" * 64, encoding="utf-8")
    with pytest.raises(WorkspaceError, match="differs"):
        workspace_salt(root)
    assert (root / SALT_FILE).exists()  # nothing lost: the user picks


def test_the_salt_can_come_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PRODUCTOPS_SALT", "s" * 40)
    assert workspace_salt(tmp_path) == "s" * 40
    assert not (key_dir() / "salts").exists()
    monkeypatch.setenv("PRODUCTOPS_SALT", "short")
    with pytest.raises(ConfigError, match="PRODUCTOPS_SALT: give at least 32 characters"):
        workspace_salt(tmp_path)


def test_self_assessment_results_are_a_table_not_a_traceback(ws: Path) -> None:
    run("-w", str(ws), "survey", "new", "growth", "self_assessment", "Maturity")
    for token, rating in (("a", "2"), ("b", "3"), ("c", "3")):
        run(
            "-w", str(ws), "survey", "answer", "growth-maturity", "-a", f"data={rating}",
            "--respondent", token,
        )  # fmt: skip
    run("-w", str(ws), "survey", "close", "growth-maturity")
    out = json.loads(
        run("-w", str(ws), "survey", "results", "--kind", "self_assessment", "-f", "json")
    )
    (row,) = out["self_assessment results"]
    assert (row["question"], row["respondents"], row["mean"]) == ("data", 3, pytest.approx(8 / 3))
    assert "Traceback" not in run("-w", str(ws), "survey", "results", "--kind", "self_assessment")
