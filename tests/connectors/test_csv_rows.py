"""`sync jira-csv` of a file it cannot read: one line naming the file, no traceback, nothing landed."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from productops.cli import app
from productops.workspace import Workspace

HEADER = "Summary,Issue key,Issue Type,Status,Project key,Created\n"
GOOD = "Login fails,WEB-1,Bug,Done,WEB,12/Mar/24 3:04 PM\n"


@pytest.mark.parametrize(
    ("tail", "says"),
    [
        (b"Caf\xe9 menu,WEB-2,Bug,Done,WEB,12/Mar/24 3:04 PM\n", "not UTF-8 or UTF-16 text"),
        (b"x" * 200_000 + b",WEB-2,Bug,Done,WEB,12/Mar/24 3:04 PM\n", "line 3: field larger"),
    ],
    ids=["latin1", "huge-field"],
)
def test_unreadable_jira_csv_is_one_line_error(
    workspace: Workspace, tmp_path: Path, tail: bytes, says: str
) -> None:
    export = tmp_path / "jira.csv"
    export.write_bytes((HEADER + GOOD).encode() + tail)
    root = str(workspace.root)
    runner = CliRunner()
    connected = runner.invoke(app, ["-w", root, "connect", "jira-csv", "--path", str(export)])
    assert connected.exit_code == 0, connected.output
    done = runner.invoke(app, ["-w", root, "sync", "jira-csv"])
    assert done.exit_code == 1
    assert isinstance(done.exception, SystemExit), done.output
    assert f"{export}" in done.output
    assert says in done.output
    assert workspace.store.sql("SELECT count(*) FROM work_item") == [(0,)]
