"""`productops run-schedule` and `productops schedule list|history` end to end, on a workspace
whose Jira is the local server replaying the real fixture payloads (tests/connectors)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from productops.cli import app
from productops.config import ScheduleSettings, load_config, write_config
from tests.connectors.fixtures import jira_fixture
from tests.connectors.server import FixtureServer, JiraSite, Reply

runner = CliRunner()
ISSUES = jira_fixture("issues")


def run(ws: Path, *args: str, code: int = 0) -> str:
    result = runner.invoke(app, ["-w", str(ws), *args])
    assert result.exit_code == code, result.output
    return result.output


def rows(ws: Path, *args: str, code: int = 0) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = json.loads(run(ws, *args, "-f", "json", code=code))
    return found


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FixtureServer]:
    monkeypatch.setenv("JIRA_EMAIL", "bot@example.com")
    monkeypatch.setenv("JIRA_TOKEN", "jira-secret-token-5f3a9c")
    with FixtureServer(JiraSite(ISSUES, jira_fixture("statuses"))) as running:
        yield running


def workspace(tmp_path: Path, url: str, **schedule: Any) -> Path:
    """A workspace whose Jira is `url`, with `[schedule]` set to `schedule`."""
    ws = tmp_path / "ws"
    run(tmp_path, "init", str(ws))
    run(ws, "connect", "jira", "--url", url, "--project-team", "EE=ee", "--project-team", "K5=k5")
    path = ws / "productops.toml"
    config = load_config(path)
    connectors = config.connectors.model_copy(
        update={"http": config.connectors.http.model_copy(update={"max_attempts": 1})}
    )
    update = {"schedule": ScheduleSettings(**schedule), "connectors": connectors}
    write_config(path, config.model_copy(update=update))
    return ws


def test_run_schedule_runs_what_is_due_once(tmp_path: Path, server: FixtureServer) -> None:
    ws = workspace(tmp_path, server.url, sync={"jira": "*/30 * * * *"}, scorecard="0 6 * * *")
    ran = rows(ws, "run-schedule")
    assert [(r["job"], r["outcome"], r["error"]) for r in ran] == [
        ("sync.jira", "succeeded", None),
        ("checks", "succeeded", None),
        ("scorecard", "succeeded", None),
    ]
    assert ran[0]["summary"]["tables"]["work_item"]["landed"] == len(ISSUES)
    assert "scheduled jobs run: 0" in run(ws, "run-schedule")  # nothing due until the next slot
    listed = rows(ws, "schedule", "list")
    assert [(j["job"], j["cron"], j["due"], j["last_outcome"]) for j in listed] == [
        ("sync.jira", "*/30 * * * *", False, "succeeded"),
        ("checks", None, False, "succeeded"),
        ("scorecard", "0 6 * * *", False, "succeeded"),
    ]
    assert listed[0]["next_due"] > ran[0]["due_at"]
    assert [r["job"] for r in rows(ws, "schedule", "history", "--job", "sync.jira")] == [
        "sync.jira"
    ]
    assert rows(ws, "schedule", "history", "--since", "2999-01") == []
    out = run(ws, "schedule", "history", "--job", "sync.nope", code=1)
    assert "--job sync.nope: no such job; jobs: sync.jira, checks, scorecard" in out
    trail = rows(ws, "audit", "--object", "schedule_run")
    assert sorted(e["actor"] for e in trail) == [
        "schedule:checks",
        "schedule:scorecard",
        "schedule:sync.jira",
    ]


def test_run_schedule_exits_1_when_a_job_failed(tmp_path: Path, server: FixtureServer) -> None:
    ws = workspace(tmp_path, server.url, sync={"jira": "0 * * * *"})
    server.fault("/rest/api/3/status", Reply(500, {"message": "down for maintenance"}))
    out = run(ws, "run-schedule", "-f", "csv", code=1)
    assert "sync.jira" in out
    assert "HTTP 500" in out
    [status, checks] = rows(ws, "schedule", "list")
    assert (status["last_outcome"], status["failures_in_a_row"]) == ("failed", 1)
    assert checks["last_outcome"] is None  # no checks after a failed sync


@pytest.mark.parametrize(
    ("table", "line", "key"),
    [
        ("schedule.sync", 'jira = "61 * * * *"', "schedule.sync.jira"),
        ("schedule", 'scorecard = "every day"', "schedule.scorecard"),
        ("schedule", 'checks = "* * * * * *"', "schedule.checks"),  # six fields: seconds
    ],
)
def test_a_bad_cron_expression_is_one_line_naming_the_key(
    tmp_path: Path, server: FixtureServer, table: str, line: str, key: str
) -> None:
    ws = workspace(tmp_path, server.url)
    path = ws / "productops.toml"
    text = path.read_text(encoding="utf-8").replace(f"[{table}]\n", f"[{table}]\n{line}\n", 1)
    path.write_text(text, encoding="utf-8")
    out = run(ws, "schedule", "list", code=1)
    assert len(out.strip().splitlines()) == 1, out
    assert f"productops.toml: {key}: not a cron expression" in out
