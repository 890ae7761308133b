"""An import's peak memory does not grow with the file: two imports 10x apart peak alike.

Each import runs in its own process on a fresh workspace (DuckDB kept to the
`[engine] memory_limit` below, past which it spills to disk), and reports its
peak resident memory (VmHWM).
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from productops.config import CONFIG_FILE, EngineSettings, load_config, write_config
from productops.workspace import Workspace

SMALL, LARGE = 20_000, 200_000
# DuckDB's share is capped here, so what could grow with the file is what productops holds.
LIMIT = "64MB"
# Room for the allocator's noise and DuckDB's work beyond its limit.
MARGIN_MB = 60

CHILD = textwrap.dedent("""
    import json, re, sys
    from pathlib import Path
    from productops.ingest import import_file
    from productops.workspace import Workspace

    ws = Workspace.open(Path(sys.argv[1]))
    counts = import_file(ws.store, "work_item", Path(sys.argv[2]))
    status = Path("/proc/self/status").read_text()
    peak_kb = int(re.search(r"VmHWM:\\s+(\\d+) kB", status)[1])
    print(json.dumps({"landed": counts.landed, "peak_mb": peak_kb / 1024}))
""")


def _items(rows: int) -> pa.Table:
    ids = [f"W-{i}" for i in range(rows)]
    return pa.table(
        {
            "id": ids,
            "team_id": ["payments" if i % 3 else "growth" for i in range(rows)],
            "type": ["story" if i % 2 else "bug" for i in range(rows)],
            "title": [f"Item {i} of the backlog, with some words" for i in range(rows)],
            "status_category": ["done" if i % 4 else "in_progress" for i in range(rows)],
            "created_at": [
                f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}T10:00:00Z" for i in range(rows)
            ],
            "estimate": [str(i % 13) for i in range(rows)],
        }
    )


def _write(folder: Path, kind: str, rows: int) -> Path:
    data = _items(rows)
    path = folder / f"items-{rows}.{kind}"
    if kind == "parquet":
        pq.write_table(data, path)
    elif kind == "jsonl":
        with path.open("w", encoding="utf-8") as out:
            for row in data.to_pylist():
                out.write(json.dumps(row) + "\n")
    else:
        with path.open("w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(data.column_names)
            writer.writerows(zip(*data.to_pydict().values(), strict=True))
    return path


def _peak_mb(template: Workspace, tmp_path: Path, path: Path) -> float:
    """Import `path` into a copy of `template`'s folder in a child process; its peak RSS."""
    root = tmp_path / f"ws-{path.name}"
    subprocess.run(["cp", "-r", str(template.root), str(root)], check=True)
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(root), str(path)],
        check=True,
        capture_output=True,
        text=True,
    )
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["landed"] == int(path.stem.split("-")[1])
    return float(found["peak_mb"])


@pytest.mark.parametrize("kind", ["csv", "jsonl", "parquet"])
def test_peak_memory_does_not_grow_with_the_file(
    with_teams: Workspace, tmp_path: Path, kind: str
) -> None:
    config = load_config(with_teams.root / CONFIG_FILE)
    engine = EngineSettings(memory_limit=LIMIT)
    write_config(with_teams.root / CONFIG_FILE, config.model_copy(update={"engine": engine}))
    with_teams.close()
    small = _peak_mb(with_teams, tmp_path, _write(tmp_path, kind, SMALL))
    large = _peak_mb(with_teams, tmp_path, _write(tmp_path, kind, LARGE))
    assert large < small * 1.1 + MARGIN_MB, (small, large)
