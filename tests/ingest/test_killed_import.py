"""An import killed part-way (SIGKILL, inside its transaction) leaves the store as it was."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from productops.ingest import import_file
from productops.workspace import Workspace

# The child lands the rows, then kills itself before the transaction commits.
CHILD = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path
    from productops.ingest import import_file, landing
    from productops.workspace import Workspace

    upsert = landing._upsert
    def upsert_then_die(*args, **kwargs):
        upsert(*args, **kwargs)
        os.kill(os.getpid(), signal.SIGKILL)
    landing._upsert = upsert_then_die
    ws = Workspace.open(Path(sys.argv[1]))
    import_file(ws.store, "work_item", Path(sys.argv[2]))
""")


def _snapshot(ws: Workspace) -> list[object]:
    return [
        ws.store.sql(f"SELECT * FROM {t} ORDER BY ALL")
        for t in ("work_item", "quarantine", "import_run")
    ]


def test_killed_import_leaves_nothing(with_teams: Workspace, tmp_path: Path) -> None:
    first = tmp_path / "first.csv"
    first.write_text("id,team_id,created_at\nA-1,growth,2024-01-01\n", encoding="utf-8")
    import_file(with_teams.store, "work_item", first)
    rows = "".join(f"B-{i},payments,2024-02-01\n" for i in range(5000))
    second = tmp_path / "second.csv"
    second.write_text(
        "id,team_id,created_at\nA-1,payments,2024-01-02\n" + rows + "C-1,mars,2024-01-01\n",
        encoding="utf-8",
    )
    before = _snapshot(with_teams)
    root = with_teams.root
    with_teams.close()

    child = subprocess.run([sys.executable, "-c", CHILD, str(root), str(second)], check=False)
    assert child.returncode == -signal.SIGKILL

    reopened = Workspace.open(root)
    try:
        assert _snapshot(reopened) == before
        counts = import_file(reopened.store, "work_item", second)
        assert (counts.landed, counts.updated, counts.quarantined) == (5000, 1, 1)
    finally:
        reopened.close()
