"""The Parquet tables Spark reads: written incrementally, whole after an interruption, and equal
to the store after imports that change and add rows (docs/scale.md, "Tables for Spark")."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from productops import engine
from productops.config import Config, EngineSettings
from productops.engine import MANIFEST, Store, collect_union, shared_table
from productops.ingest import import_file
from productops.pillars.process import lead_time
from productops.workspace import Workspace

TEAMS = "id,name\nteam-a,Team A\nteam-b,Team B\n"
TEAMS_OF = ("team-a", "team-b")
ITEMS = (
    "id,team_id,type,title,status,status_category,created_at,resolved_at\n"
    "W-1,team-a,story,One,Done,done,2026-01-05T10:00:00Z,2026-01-20T10:00:00Z\n"
    "W-2,team-a,story,Two,In Progress,in_progress,2026-01-06T10:00:00Z,\n"
    "W-3,team-b,bug,Three,Done,done,2026-02-01T10:00:00Z,2026-03-01T10:00:00Z\n"
)
# W-2 done, W-3 resolved later (both rows changed), W-4 new; W-1 as it was.
CHANGED = (
    "id,team_id,type,title,status,status_category,created_at,resolved_at\n"
    "W-1,team-a,story,One,Done,done,2026-01-05T10:00:00Z,2026-01-20T10:00:00Z\n"
    "W-2,team-a,story,Two,Done,done,2026-01-06T10:00:00Z,2026-02-10T10:00:00Z\n"
    "W-3,team-b,bug,Three,Done,done,2026-02-01T10:00:00Z,2026-04-02T10:00:00Z\n"
    "W-4,team-b,story,Four,Done,done,2026-03-01T10:00:00Z,2026-03-03T10:00:00Z\n"
)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = Store.open(tmp_path / "s.duckdb")
    for name, text in (("team", TEAMS), ("work_item", ITEMS)):
        (tmp_path / f"{name}.csv").write_text(text)
        import_file(store, name, tmp_path / f"{name}.csv", source="t")
    yield store
    store.close()


def _files(folder: Path) -> dict[str, tuple[int, int]]:
    """Every Parquet file under `folder` by its path there: (modification time, size)."""
    return {
        str(p.relative_to(folder)): (p.stat().st_mtime_ns, p.stat().st_size)
        for p in folder.rglob("*.parquet")
    }


def _rows(files: list[Path]) -> pd.DataFrame:
    frame = pd.concat([pq.read_table(f).to_pandas() for f in files])
    return frame.sort_values("id").reset_index(drop=True)


def test_only_the_changed_partitions_are_written_again(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "parquet"
    store.export_parquet(folder)
    before = _files(folder)
    store.sql("UPDATE work_item SET title = 'Renamed' WHERE id = 't:W-1'")
    files = store.export_parquet(folder)
    after = _files(folder)
    unchanged = {k: v for k, v in before.items() if not k.startswith("work_item/")}
    assert unchanged
    assert all(after[k] == v for k, v in unchanged.items())
    assert not any(k in before for k in after if k.startswith("work_item/"))
    assert _rows(files["work_item"]).title.tolist() == ["Renamed", "Two", "Three"]


def test_nothing_changed_writes_nothing(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "parquet"
    store.export_parquet(folder)
    before = _files(folder)
    store.export_parquet(folder)
    assert _files(folder) == before


def test_a_row_moved_or_deleted_is_gone_from_its_old_partition(
    store: Store, tmp_path: Path
) -> None:
    folder = tmp_path / "parquet"
    store.sql("UPDATE work_item SET ingested_at = TIMESTAMPTZ '2025-06-15 00:00:00+00'")
    first = store.export_parquet(folder)
    assert len(first["work_item"]) == 1  # one month: 2025-06
    store.sql("DELETE FROM work_item WHERE id = 't:W-3'")
    # An upsert lands a changed row again, in the month of the change.
    store.sql("UPDATE work_item SET ingested_at = now(), title = 'Moved' WHERE id = 't:W-2'")
    files = store.export_parquet(folder)
    assert len(files["work_item"]) == 2
    rows = _rows(files["work_item"])
    assert rows.id.tolist() == ["t:W-1", "t:W-2"]
    assert rows.title.tolist() == ["One", "Moved"]
    assert set(_files(folder)) == {str(f.relative_to(folder)) for fs in files.values() for f in fs}


def test_an_interrupted_export_leaves_the_previous_set_whole(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "parquet"
    old = store.export_parquet(folder)
    manifest = (folder / MANIFEST).read_text()
    store.sql("DELETE FROM work_item WHERE id = 't:W-3'")

    def killed(*args: object) -> None:  # the process stops just before the manifest is replaced
        raise KeyboardInterrupt

    with monkeypatch.context() as patched:
        patched.setattr(engine, "_write_manifest", killed)
        with pytest.raises(KeyboardInterrupt):
            store.export_parquet(folder)
    assert (folder / MANIFEST).read_text() == manifest
    assert len(_rows(old["work_item"])) == 3  # every file it names is still there
    files = store.export_parquet(folder)
    assert len(_rows(files["work_item"])) == 2
    named = {str(f.relative_to(folder)) for fs in files.values() for f in fs}
    assert set(_files(folder)) == named  # the interrupted export's files are gone
    assert set(json.loads((folder / MANIFEST).read_text())["tables"]) == set(files)


def test_a_changed_schema_writes_the_table_again(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "parquet"
    store.export_parquet(folder)
    before = _files(folder)
    store.sql("ALTER TABLE team ADD COLUMN motto VARCHAR")
    files = store.export_parquet(folder)
    assert not any(str(f.relative_to(folder)) in before for f in files["team"])
    assert "motto" in pq.read_schema(files["team"][0]).names


def test_a_shared_table_on_duckdb_is_the_expression_itself(store: Store) -> None:
    team = store.ibis().table("team")
    named = team.filter(team.name.notnull())
    assert shared_table(named) is named


def test_closing_a_spark_workspace_writes_what_an_import_changed(tmp_path: Path) -> None:
    ws = Workspace.init(tmp_path / "ws", Config(engine=EngineSettings(kind="pyspark")))
    (tmp_path / "team.csv").write_text(TEAMS)
    import_file(ws.store, "team", tmp_path / "team.csv", source="t")
    ws.close()
    files = json.loads((ws.parquet_dir / MANIFEST).read_text())["tables"]
    assert sum(part["rows"] for part in files["team"]["parts"].values()) == 2


@pytest.mark.spark
def test_spark_equals_duckdb_after_an_import_changes_rows(tmp_path: Path) -> None:
    ws = Workspace.init(tmp_path / "ws", Config(engine=EngineSettings(kind="pyspark")))
    for name, text in (("team", TEAMS), ("work_item", ITEMS)):
        (tmp_path / f"{name}.csv").write_text(text)
        import_file(ws.store, name, tmp_path / f"{name}.csv", source="t")
    assert ws.backend().table("work_item").count().execute() == 3
    ws.close()
    (tmp_path / "work_item.csv").write_text(CHANGED)
    ws = Workspace.open(tmp_path / "ws")
    try:
        counts = import_file(ws.store, "work_item", tmp_path / "work_item.csv", source="t")
        assert (counts.landed, counts.updated, counts.unchanged) == (1, 2, 1)
        spark, duck = ws.backend(), ws.store.ibis()
        on_spark = lead_time(spark.table("work_item"), "month").to_pandas()
        on_duckdb = lead_time(duck.table("work_item"), "month").to_pandas()
        # A shared table: computed once, then read as a view by every plan that asks for it.
        done = spark.table("work_item").filter(lambda t: t.status_category == "done")
        kept = shared_table(done)
        assert kept.op().name.startswith("productops_shared_")
        assert (
            shared_table(spark.table("work_item").filter(lambda t: t.status_category == "done"))
            is kept
        )
        assert kept.count().execute() == 4
        # Several queries' rows at once: on Spark each its own query, on DuckDB one union.
        rows = {}
        for name, backend in (("spark", spark), ("duckdb", duck)):
            w = backend.table("work_item")
            parts = [w.filter(w.team_id == team).select("id", "team_id") for team in TEAMS_OF]
            rows[name] = sorted(collect_union(parts).to_pylist(), key=lambda r: r["id"])
        assert rows["spark"] == rows["duckdb"]
        assert [r["id"] for r in rows["spark"]] == ["t:W-1", "t:W-2", "t:W-3", "t:W-4"]
    finally:
        ws.close()
    assert len(on_duckdb) == 4
    pd.testing.assert_frame_equal(on_duckdb, on_spark, check_dtype=False)
