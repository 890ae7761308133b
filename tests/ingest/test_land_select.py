"""Rows a query selects land inside the store as the same rows fetched and landed would."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa

from productops.engine import Store
from productops.ingest import land_arrow, land_select
from productops.schema import TABLES

TS = pa.timestamp("us", tz="UTC")


def _store(tmp_path: Path, name: str) -> Store:
    store = Store.open(tmp_path / f"{name}.duckdb")
    teams = pa.table({"id": ["payments"], "name": ["Payments"]})
    land_arrow(store, TABLES["team"], teams, source="t", label="t")
    return store


def test_selected_rows_land_as_fetched_ones_and_bad_ones_are_quarantined(
    tmp_path: Path,
) -> None:
    rows = pa.table(
        {
            "id": [f"W-{i}" for i in range(60)] + [None],  # more than land_arrow's few rows
            "team_id": ["payments"] * 61,
            "created_at": pa.array([datetime(2024, 1, 1, tzinfo=UTC)] * 61, TS),
            "estimate": pa.array([float(i) for i in range(61)], pa.float64()),
        }
    )
    selected, fetched = _store(tmp_path, "selected"), _store(tmp_path, "fetched")
    with selected.staged("_source", rows):
        query = "SELECT id, team_id, created_at, estimate FROM _source WHERE estimate >= ?"
        counts = land_select(selected, TABLES["work_item"], query, [0.0], source="t", label="test")
    expected = land_arrow(fetched, TABLES["work_item"], rows, source="t", label="test")
    assert (counts.landed, counts.quarantined) == (expected.landed, expected.quarantined) == (60, 1)
    listed = "SELECT id, team_id, estimate FROM work_item ORDER BY id"
    assert selected.sql(listed) == fetched.sql(listed)
    assert selected.sql("SELECT count(*) FROM quarantine") == [(1,)]
    assert not selected.sql("SELECT table_name FROM duckdb_tables() WHERE temporary")
