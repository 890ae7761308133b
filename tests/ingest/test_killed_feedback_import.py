"""A feedback or accounts import killed part-way (SIGKILL, inside its transaction) leaves the
store as it was: no raw rows without their mapping."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from productops.connectors import ACCOUNT_FILES, FEEDBACK_FILES
from productops.connectors.feedback_files import FEEDBACK_KINDS
from productops.sync import import_rows
from productops.workspace import Workspace

# The child lands the raw rows and the mapped ones, then kills itself before the commit.
CHILD = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path
    from productops.connectors import ACCOUNT_FILES, FEEDBACK_FILES
    from productops.connectors.feedback_files import FEEDBACK_KINDS
    from productops.ingest import landing
    from productops.sync import import_rows
    from productops.workspace import Workspace

    upsert = landing._upsert
    def upsert_then_die(store, table, *args, **kwargs):
        counts = upsert(store, table, *args, **kwargs)
        if table.name != "raw_record":
            os.kill(os.getpid(), signal.SIGKILL)
        return counts
    landing._upsert = upsert_then_die
    ws = Workspace.open(Path(sys.argv[1]))
    if sys.argv[3] == "feedback":
        import_rows(ws.store, ws.root, FEEDBACK_FILES["generic"], FEEDBACK_KINDS["generic"],
                    Path(sys.argv[2]))
    else:
        import_rows(ws.store, ws.root, ACCOUNT_FILES, None, Path(sys.argv[2]))
""")
TABLES = ("raw_record", "feedback", "account", "quarantine", "import_run")


def _snapshot(ws: Workspace) -> list[object]:
    return [ws.store.sql(f"SELECT * FROM {t} ORDER BY ALL") for t in TABLES]


def _import(ws: Workspace, what: str, path: Path) -> dict[str, list[int]]:
    if what == "feedback":
        spec, settings = FEEDBACK_FILES["generic"], FEEDBACK_KINDS["generic"]
        return import_rows(ws.store, ws.root, spec, settings, path).counts
    return import_rows(ws.store, ws.root, ACCOUNT_FILES, None, path).counts


def _file(tmp_path: Path, what: str, name: str, ids: range) -> Path:
    path = tmp_path / name
    if what == "feedback":
        rows = "".join(f"f-{i},Export number {i} fails,2024-02-01\n" for i in ids)
        path.write_text("id,text,created_at\n" + rows, encoding="utf-8")
    else:
        rows = "".join(f"acc-{i},Account {i},{i * 100}\n" for i in ids)
        path.write_text("id,name,arr\n" + rows, encoding="utf-8")
    return path


@pytest.mark.parametrize(("what", "table"), [("feedback", "feedback"), ("accounts", "account")])
def test_killed_import_leaves_nothing(
    workspace: Workspace, tmp_path: Path, what: str, table: str
) -> None:
    _import(workspace, what, _file(tmp_path, what, "first.csv", range(3)))
    second = _file(tmp_path, what, "second.csv", range(2, 1000))
    before = _snapshot(workspace)
    root = workspace.root
    workspace.close()

    child = subprocess.run([sys.executable, "-c", CHILD, str(root), str(second), what], check=False)
    assert child.returncode == -signal.SIGKILL

    reopened = Workspace.open(root)
    try:
        assert _snapshot(reopened) == before
        counts = _import(reopened, what, second)
        assert counts["raw_record"] == [997, 0, 1, 0]
        assert counts[table] == [997, 0, 1, 0]
    finally:
        reopened.close()
