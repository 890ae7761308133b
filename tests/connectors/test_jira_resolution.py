"""Resolved Jira issues count as done at their resolution date, whatever their status says;
Jira's standard status names have their category when the payload gives none."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from productops.config import JiraSettings
from productops.connectors import parse_time
from productops.pillars import process as p
from productops.sync import SyncReport, sync_source
from productops.workspace import Workspace
from tests.connectors.fixtures import JIRA_DIR, JIRA_TEAMS, configure, jira_fixture
from tests.pillars.builders import result_rows

ISSUES = jira_fixture("issues")
# Resolved issues whose payload puts their status (已完成) in category To Do ("new").
RESOLVED_OPEN = sorted(
    i["key"]
    for i in ISSUES
    if i["fields"]["resolutiondate"] and i["fields"]["status"]["statusCategory"]["key"] == "new"
)


def sync_files(ws: Workspace, *files: Path) -> SyncReport:
    """Replay `files` alone: no /status payloads, so only the issues say the categories."""
    configure(ws, jira=JiraSettings(project_teams=dict(JIRA_TEAMS)), status_categories={})
    return sync_source(ws.store, ws.config.connectors, ws.root, "jira", files=list(files))


def test_resolved_issues_in_a_to_do_status_count_as_done(workspace: Workspace) -> None:
    assert {"EE-1", "EE-10", "EE-36", "EE-37"} <= set(RESOLVED_OPEN)
    report = sync_files(workspace, JIRA_DIR / "issues.jsonl")
    for issue in ISSUES:
        if issue["key"] not in RESOLVED_OPEN:
            continue
        row = workspace.store.sql(
            "SELECT status, status_category, resolved_at FROM work_item WHERE id = ?",
            [f"jira:{issue['key']}"],
        )
        resolved = parse_time(issue["fields"]["resolutiondate"])
        assert row == [("已完成", "done", resolved)], issue["key"]
    note = next(n for n in report.notes if "resolution" in n)
    assert ", ".join(RESOLVED_OPEN) in note
    lead = result_rows(p.lead_time(workspace.backend().table("work_item"), "quarter"))
    resolved_ee = [
        i for i in ISSUES if i["key"].startswith("EE-") and i["fields"]["resolutiondate"]
    ]
    assert sum(r["items"] for r in lead if r["team_id"] == "ee") == len(resolved_ee)


def _renamed(issue: dict[str, Any], name: str) -> dict[str, Any]:
    """The issue in status `name`, with a status id no site lists and no category given."""
    changed = copy.deepcopy(issue)
    changed["fields"]["status"] = {"id": "99999", "name": name}
    changed["fields"]["resolutiondate"] = None
    changed["changelog"] = {"histories": [], "total": 0}
    return changed


STANDARD = [
    *[(n, "todo") for n in ("To Do", "待办", "Zu erledigen", "À faire", "Por hacer", "作業前")],
    *[(n, "in_progress") for n in ("In Progress", "进行中", "In Arbeit", "En cours", "En curso")],
    *[(n, "done") for n in ("Done", "已完成", "Fertig", "Terminé(e)", "Listo", "完了", "완료")],
]


@pytest.mark.parametrize(("name", "category"), STANDARD)
def test_standard_status_names_have_their_category(
    workspace: Workspace, tmp_path: Path, name: str, category: str
) -> None:
    issue = _renamed(next(i for i in ISSUES if i["key"] == "K5-2"), name)
    path = tmp_path / "issue.jsonl"
    path.write_text(json.dumps(issue, ensure_ascii=False) + "\n", encoding="utf-8")
    report = sync_files(workspace, path)
    rows = workspace.store.sql("SELECT status, status_category FROM work_item")
    assert rows == [(name, category)]
    assert not any("no category" in n for n in report.notes)


def test_the_sites_category_and_the_teams_mapping_win_over_the_standard_name(
    workspace: Workspace, tmp_path: Path
) -> None:
    issue = _renamed(next(i for i in ISSUES if i["key"] == "K5-2"), "Done")
    issue["fields"]["status"]["statusCategory"] = {"key": "indeterminate"}
    path = tmp_path / "issue.jsonl"
    path.write_text(json.dumps(issue) + "\n", encoding="utf-8")
    sync_files(workspace, path)
    assert workspace.store.sql("SELECT status_category FROM work_item") == [("in_progress",)]
    configure(workspace, status_categories={"k5": {"Done": "cancelled"}})
    sync_source(workspace.store, workspace.config.connectors, workspace.root, "jira", replay=True)
    assert workspace.store.sql("SELECT status_category FROM work_item") == [("cancelled",)]


def test_done_without_a_resolution_date_is_resolved_at_its_move_into_its_status(
    workspace: Workspace, tmp_path: Path
) -> None:
    issue = _renamed(next(i for i in ISSUES if i["key"] == "K5-2"), "Shipped")
    issue["fields"]["status"]["statusCategory"] = {"key": "done"}
    move = {"field": "status", "from": "10033", "fromString": "To Do", "to": "99999"}
    history = {"id": "1", "created": "2024-01-02T10:00:00.000+0000"}
    issue["changelog"] = {"histories": [{**history, "items": [{**move, "toString": "Shipped"}]}]}
    path = tmp_path / "issue.jsonl"
    path.write_text(json.dumps(issue) + "\n", encoding="utf-8")
    sync_files(workspace, path)
    rows = workspace.store.sql("SELECT status_category, resolved_at FROM work_item")
    assert rows == [("done", parse_time("2024-01-02T10:00:00+00:00"))]
