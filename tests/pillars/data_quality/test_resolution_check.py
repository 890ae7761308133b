"""The built-in check `work_item_resolution_matches_status` lists the items whose status
category and resolution disagree, which lead time and throughput would leave out."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from productops.cli import app
from productops.workspace import Workspace

runner = CliRunner()
CHECK = "work_item_resolution_matches_status"
ITEMS = """\
id,team_id,status,status_category,created_at,resolved_at
ok-done,growth,Done,done,2024-01-01,2024-01-05
ok-cancelled,growth,Won't Do,cancelled,2024-01-01,2024-01-03
ok-open,growth,In Progress,in_progress,2024-01-01,
resolved-todo,growth,已完成,todo,2024-01-01,2024-01-04
done-unresolved,growth,Done,done,2024-01-01,
resolved-unknown,growth,Shipped,,2024-01-01,2024-01-02
"""


def _check(ws: Workspace) -> dict[str, object]:
    result = runner.invoke(app, ["-w", str(ws.root), "check", "--only", CHECK, "-f", "json"])
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.stdout)
    assert isinstance(row, dict)
    return row


def test_items_whose_status_category_and_resolution_disagree_are_listed(
    with_teams: Workspace, tmp_path: Path
) -> None:
    assert _check(with_teams)["status"] == "pass"  # no work items yet
    path = tmp_path / "items.csv"
    path.write_text(ITEMS, encoding="utf-8")
    imported = runner.invoke(app, ["-w", str(with_teams.root), "import", "work_item", str(path)])
    assert imported.exit_code == 0, imported.output
    row = _check(with_teams)
    assert (row["status"], row["observed"]) == ("warn", 3)
    ((details,),) = with_teams.store.sql(
        "SELECT details FROM data_check_result WHERE check_id LIKE ? ORDER BY run_at DESC LIMIT 1",
        [f"%{CHECK}"],
    )
    keys = json.loads(details)["failing_keys"]
    assert keys == [f"file:{k}" for k in ("done-unresolved", "resolved-todo", "resolved-unknown")]
