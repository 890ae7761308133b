"""A few rows landed through `land_arrow`'s short path leave the store as the full path does."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from productops.engine import Store, quote
from productops.ingest import ReadResult, land, land_arrow
from productops.ingest.landing import ImportCounts, _land_few
from productops.ingest.read import LINE
from productops.schema import TABLES

TS = pa.timestamp("us", tz="UTC")
# Columns whose values are the clock or a random id: they differ between any two landings.
MOMENTS = {"ingested_at", "started_at", "finished_at"}
FIELDS: list[tuple[str, pa.DataType]] = [
    ("id", pa.string()),
    ("team_id", pa.string()),
    ("status_category", pa.string()),
    ("created_at", TS),
    ("resolved_at", TS),
    ("estimate", pa.float64()),
]
WORK_ITEM = pa.schema(FIELDS)


def _stores(tmp_path: Path) -> tuple[Store, Store]:
    """Two fresh stores holding the same teams: one for each path."""
    stores = []
    for name in ("few", "full"):
        store = Store.open(tmp_path / f"{name}.duckdb")
        teams = pa.table({"id": ["payments", "search"], "name": ["Payments", "Search"]})
        _full(store, "team", teams)
        stores.append(store)
    return stores[0], stores[1]


def _full(store: Store, table: str, data: pa.Table) -> ImportCounts:
    numbered = data.append_column(LINE, pa.array(range(1, data.num_rows + 1), pa.int64()))
    read = ReadResult(numbered, line_label="row")
    return land(store, TABLES[table], read, source="productops", file="test")


def _contents(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows, sorted, without the columns that hold the clock or a random id."""
    found = {}
    for (name,) in store.sql("SELECT table_name FROM duckdb_tables() ORDER BY table_name"):
        columns = [c for c in store.columns(name) if c not in MOMENTS]
        if name == "import_run":
            columns.remove("id")
        rows = store.sql(f"SELECT {', '.join(quote(c) for c in columns)} FROM {quote(name)}")
        found[name] = sorted(rows, key=repr)
    return found


def _both(few: Store, full: Store, table: str, data: pa.Table) -> None:
    """Land `data` through `land_arrow` in `few` and the full path in `full`: same counts, same
    tables."""
    assert land_arrow(few, TABLES[table], data, source="productops", label="test") == _full(
        full, table, data
    )
    assert _contents(few) == _contents(full)


def _at(day: int) -> datetime:
    return (
        datetime(2024, 1, 1, tzinfo=UTC).replace(day=day)
        if day > 0
        else datetime(1800, 1, 1, tzinfo=UTC)
    )


def _mostly(valid: list[Any], invalid: list[Any]) -> st.SearchStrategy[Any]:
    """A valid value nine times in ten: batches of several valid rows take the short path."""
    return st.sampled_from(valid * 9 + invalid)


ROW = st.fixed_dictionaries(
    {
        "id": _mostly(["a", "b", "jira:c"], [None]),
        "team_id": _mostly(["payments", "search"], ["nowhere", None]),
        "status_category": _mostly(["done", "In Progress", None], ["bogus"]),
        "created_at": _mostly([_at(3), _at(4)], [_at(0), None]),
        "resolved_at": _mostly([_at(5), None], [_at(1)]),
        "estimate": _mostly([1.0, 0.0, -0.0, None], [float("inf"), float("nan")]),
    }
)


def test_valid_and_invalid_rows_land_as_through_the_full_path(tmp_path: Path) -> None:
    few, full = _stores(tmp_path)

    @given(st.lists(st.lists(ROW, max_size=4), min_size=1, max_size=3))
    @settings(max_examples=60)
    def check(batches: list[list[dict[str, Any]]]) -> None:
        for rows in batches:
            _both(few, full, "work_item", pa.Table.from_pylist(rows, WORK_ITEM))

    check()


def test_a_valid_batch_takes_the_short_path_and_an_invalid_one_the_full(tmp_path: Path) -> None:
    few, _ = _stores(tmp_path)
    row = {"id": "a", "team_id": "payments", "created_at": _at(3), "status_category": "done"}
    valid = pa.Table.from_pylist([row], WORK_ITEM)
    numbered = valid.append_column(LINE, pa.array([1], pa.int64()))
    counts = _land_few(few, TABLES["work_item"], numbered, source="productops", file="test")
    assert counts == ImportCounts("work_item", "test", 1, 0, 0, 0)
    bad = numbered.set_column(1, "team_id", pa.array(["nowhere"]))
    assert _land_few(few, TABLES["work_item"], bad, source="productops", file="test") is None
    assert few.sql("SELECT count(*) FROM quarantine")[0][0] == 0


def test_registry_shapes_land_as_through_the_full_path(tmp_path: Path) -> None:
    few, full = _stores(tmp_path)
    target = pa.table(
        {
            "criterion": ["process.time_to_market", "process.time_to_market"],
            "team_id": ["payments", "payments"],  # a duplicate key: the second is quarantined
            "target": [7.0, 8.0],
            "set_at": pa.array([_at(2), _at(3)], TS),
        }
    )
    _both(few, full, "criterion_target", target.slice(0, 1))  # new
    _both(few, full, "criterion_target", target.slice(0, 1))  # unchanged
    _both(few, full, "criterion_target", target.slice(1, 1))  # updated
    _both(few, full, "criterion_target", target)  # one quarantined
    _both(few, full, "criterion_target", target.slice(0, 0))  # nothing
    text_times = pa.table({"id": ["x"], "team_id": ["payments"], "created_at": ["13/01/2024"]})
    _both(few, full, "work_item", text_times)  # a timestamp read as text: day first
    feedback = pa.table(
        {"id": ["f"], "channel": ["email"], "text": ["slow"], "created_at": pa.array([_at(2)], TS)}
    )
    _both(few, full, "feedback", feedback)  # derived columns kept: the full path
    _both(few, full, "team", pa.table({"id": ["core"], "name": ["Core"]}))
