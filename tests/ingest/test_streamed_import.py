"""A file read in many batches imports as one read whole would: the checks see every batch.

`ingest.read.BATCH_ROWS` rows are read at a time; these files span several batches.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from productops.cli import app
from productops.config import CONFIG_FILE
from productops.errors import ConfigError, ImportFileError
from productops.ingest import import_file
from productops.ingest.read import BATCH_ROWS
from productops.workspace import Workspace

ROWS = 2 * BATCH_ROWS + 500


def _csv(path: Path, rows: list[str]) -> Path:
    path.write_text("id,team_id,created_at\n" + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path


def _items(rows: int) -> list[str]:
    return [f"W-{i},growth,2024-01-01" for i in range(rows)]


def test_a_key_repeated_batches_apart_is_quarantined(with_teams: Workspace, tmp_path: Path) -> None:
    rows = _items(ROWS)
    rows[-1] = "W-0,payments,2024-03-01"
    counts = import_file(with_teams.store, "work_item", _csv(tmp_path / "items.csv", rows))
    assert (counts.landed, counts.quarantined) == (ROWS - 1, 1)
    assert with_teams.store.sql("SELECT line, reason FROM quarantine") == [
        (ROWS + 1, "duplicate key in this file, first at line 2")
    ]
    assert with_teams.store.sql("SELECT team_id FROM work_item WHERE id = 'file:W-0'") == [
        ("growth",)
    ]


def test_date_order_is_decided_from_every_batch(with_teams: Workspace, tmp_path: Path) -> None:
    rows = _items(ROWS)
    rows[0] = "W-0,growth,01/02/2024"
    rows[-1] = f"W-{ROWS - 1},growth,13/02/2024"
    counts = import_file(with_teams.store, "work_item", _csv(tmp_path / "items.csv", rows))
    assert counts.quarantined == 0
    found = with_teams.store.sql(
        "SELECT strftime(created_at, '%Y-%m-%d') FROM work_item WHERE id = 'file:W-0'"
    )
    assert found == [("2024-02-01",)]


def test_json_lines_take_a_column_first_seen_in_a_later_batch(
    with_teams: Workspace, tmp_path: Path
) -> None:
    objects: list[dict[str, object]] = [
        {"id": f"W-{i}", "team_id": "growth", "created_at": "2024-01-01"} for i in range(ROWS)
    ]
    objects[-1] |= {"estimate": 8, "colour": "red"}
    path = tmp_path / "items.jsonl"
    path.write_text("".join(json.dumps(o) + "\n" for o in objects), encoding="utf-8")
    counts = import_file(with_teams.store, "work_item", path)
    assert (counts.landed, counts.ignored_columns) == (ROWS, ["colour"])
    assert with_teams.store.sql(
        "SELECT id, estimate FROM work_item WHERE estimate IS NOT NULL"
    ) == [(f"file:W-{ROWS - 1}", 8.0)]
    again = import_file(with_teams.store, "work_item", path)
    assert (again.landed, again.updated, again.unchanged) == (0, 0, ROWS)


def test_a_file_cut_after_some_batches_lands_nothing(with_teams: Workspace, tmp_path: Path) -> None:
    whole = gzip.compress(_csv(tmp_path / "items.csv", _items(ROWS)).read_bytes())
    cut = tmp_path / "items.csv.gz"
    cut.write_bytes(whole[: len(whole) * 9 // 10])
    with pytest.raises(ImportFileError, match="cannot read the file"):
        import_file(with_teams.store, "work_item", cut)
    assert with_teams.store.sql("SELECT count(*) FROM work_item") == [(0,)]
    counts = import_file(with_teams.store, "work_item", _csv(tmp_path / "ok.csv", _items(3)))
    assert counts.landed == 3


def test_gzipped_parquet_is_read(with_teams: Workspace, tmp_path: Path) -> None:
    plain = tmp_path / "items.parquet"
    data = {
        "id": ["A-1", "A-2"],
        "team_id": ["growth", "payments"],
        "created_at": ["2024-01-01"] * 2,
    }
    pq.write_table(pa.table(data), plain)
    packed = tmp_path / "items.parquet.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    counts = import_file(with_teams.store, "work_item", packed)
    assert (counts.landed, counts.quarantined) == (2, 0)


def test_the_store_keeps_to_the_workspace_memory_limit(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    Workspace.init(root).close()
    config = root / CONFIG_FILE
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace('memory_limit = "1GB"', 'memory_limit = "300MB"'), "utf-8")
    ws = Workspace.open(root)
    try:
        limit, folder = ws.store.sql(
            "SELECT current_setting('memory_limit'), current_setting('temp_directory')"
        )[0]
    finally:
        ws.close()
    assert (limit, folder) == ("286.1 MiB", str(root / ".tmp"))
    config.write_text(text.replace('memory_limit = "1GB"', 'memory_limit = "lots"'), "utf-8")
    with pytest.raises(ConfigError, match=r"engine.memory_limit: .*such as \"2GB\""):
        Workspace.open(root)


def test_a_memory_limit_too_small_is_a_one_line_error(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    Workspace.init(root).close()
    config = root / CONFIG_FILE
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace('memory_limit = "1GB"', 'memory_limit = "4MB"'), "utf-8")
    path = tmp_path / "teams.csv"
    path.write_text("id,name\n" + "".join(f"t{i},Team {i}\n" for i in range(ROWS)), "utf-8")
    done = CliRunner().invoke(app, ["--workspace", str(root), "import", "team", str(path)])
    assert done.exit_code == 1
    assert isinstance(done.exception, SystemExit)
    assert "DuckDB ran out of memory" in done.output
    assert "raise [engine] memory_limit in productops.toml" in done.output
