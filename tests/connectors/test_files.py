"""File sources: a Jira CSV export and a generic transitions CSV, through the command line."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from productops.cli import app
from productops.connectors import parse_time
from productops.workspace import Workspace

runner = CliRunner()

# The columns and formats of Jira's "Export > CSV (all fields)", written by hand: a repeated
# column (Sprint), a project key, Jira's default date format, a non-English status.
JIRA_EXPORT = """\
Summary,Issue key,Issue id,Issue Type,Status,Project key,Created,Resolved,Sprint,Sprint,Status Category
Login fails on Safari,WEB-1,10001,Bug,Done,WEB,12/Mar/24 3:04 PM,14/Mar/24 9:30 AM,S1,S2,Done
Search box,WEB-2,10002,Story,In Progress,WEB,13/Mar/24 10:00 AM,,S2,,In Progress
New logo,MKT-7,10003,Task,已完成,MKT,01/Feb/24 8:15 AM,02/Feb/24 5:45 PM,,,Done
Broken date,WEB-3,10004,Task,To Do,WEB,yesterday,,,,To Do
"""


def run(ws: Path, *args: str, code: int = 0) -> str:
    result = runner.invoke(app, ["-w", str(ws), *args])
    assert result.exit_code == code, result.output
    return result.output


def test_jira_csv_export_says_it_has_no_status_history(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    run(tmp_path, "init", str(ws))
    export = tmp_path / "jira.csv"
    export.write_text(JIRA_EXPORT, encoding="utf-8")
    run(
        ws,
        "connect",
        "jira-csv",
        "--path",
        str(export),
        "--project-team",
        "WEB=web",
        "--default-team",
        "marketing",
    )
    out = run(ws, "sync", "jira-csv", "-f", "json")
    assert "carries no status history" in out
    assert "no transitions, time in status or cycle time" in out
    workspace = Workspace.open(ws)
    try:
        t = parse_time
        assert workspace.store.sql(
            "SELECT id, team_id, type, status, status_category, created_at, resolved_at "
            "FROM work_item ORDER BY id"
        ) == [
            ("jira:MKT-7", "marketing", "task", "已完成", "done", t("2024-02-01T08:15:00Z"),
             t("2024-02-02T17:45:00Z")),
            ("jira:WEB-1", "web", "bug", "Done", "done", t("2024-03-12T15:04:00Z"),
             t("2024-03-14T09:30:00Z")),
            ("jira:WEB-2", "web", "story", "In Progress", "in_progress", t("2024-03-13T10:00:00Z"),
             None),
        ]  # fmt: skip
        assert workspace.store.sql("SELECT count(*) FROM work_item_transition") == [(0,)]
        (reason,) = workspace.store.sql("SELECT reason FROM quarantine")[0]
        assert reason == 'created_at: cannot read "yesterday" as timestamp'
        assert workspace.store.sql("SELECT count(*) FROM raw_record WHERE stream = 'rows'") == [
            (4,)
        ]
    finally:
        workspace.close()


def test_transitions_csv_with_team_mappings(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    run(tmp_path, "init", str(ws))
    path = tmp_path / "moves.csv"
    path.write_text(
        "item,changed_at,from_status,to_status,team\n"
        "PROJ-1,2024-04-01T09:00:00Z,Backlog,Doing,web\n"
        "PROJ-1,2024-04-03T09:00:00+02:00,Doing,Shipped,web\n"
        "PROJ-2,2024-04-02T09:00:00Z,Backlog,Doing,\n"
        "PROJ-3,not a date,Backlog,Doing,web\n",
        encoding="utf-8",
    )
    run(
        ws,
        "connect",
        "transitions-csv",
        "--path",
        str(path),
        "--source",
        "jira",
        "--default-team",
        "ops",
    )
    run(ws, "connect", "status-category", "Doing", "in_progress")
    run(ws, "connect", "status-category", "Shipped", "done", "--team", "web")
    out = run(ws, "sync", "transitions-csv", "-f", "json")
    counts = {r["table"]: r for r in json.loads(out[out.index("[") :])}
    assert counts["work_item_transition"]["landed"] == 3
    assert counts["work_item_transition"]["quarantined"] == 1
    workspace = Workspace.open(ws)
    try:
        assert workspace.store.sql(
            "SELECT work_item_id, changed_at, from_status, to_status, to_category "
            "FROM work_item_transition ORDER BY ALL"
        ) == [
            ("jira:PROJ-1", parse_time("2024-04-01T09:00:00Z"), "Backlog", "Doing", "in_progress"),
            ("jira:PROJ-1", parse_time("2024-04-03T07:00:00Z"), "Doing", "Shipped", "done"),
            ("jira:PROJ-2", parse_time("2024-04-02T09:00:00Z"), "Backlog", "Doing", "in_progress"),
        ]
        assert workspace.config.connectors.status_categories == {
            "*": {"Doing": "in_progress"},
            "web": {"Shipped": "done"},
        }
    finally:
        workspace.close()
