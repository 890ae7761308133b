from __future__ import annotations

from pathlib import Path

import pytest

from productops.engine import META_TABLE, Store
from productops.errors import SchemaVersionError
from productops.schema import SCHEMA_VERSION, TABLES
from productops.schema.migrations import MIGRATIONS, AddColumn, CreateTable, UniqueIndex
from productops.workspace import STORE_FILE, Workspace


def test_a_new_store_has_every_table_with_every_column(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "s.duckdb")
    assert store.schema_version() == SCHEMA_VERSION
    for name, table in TABLES.items():
        assert sorted(store.columns(name)) == sorted(table.column_names), name


def test_an_older_workspace_is_upgraded_keeping_its_rows(tmp_path: Path) -> None:
    ws = Workspace.init(tmp_path / "ws")
    ws.close()
    (tmp_path / "ws" / STORE_FILE).unlink()
    old = Store.open(tmp_path / "ws" / STORE_FILE, upgrade_to=1)
    assert old.schema_version() == 1
    assert "owner_id" not in old.columns("work_item")
    assert "import_run" not in {
        r[0] for r in old.sql("SELECT table_name FROM information_schema.tables")
    }
    old.sql("INSERT INTO team (id, name, source, ingested_at) VALUES ('t', 'T', 'file', now())")
    old.sql(
        "INSERT INTO work_item (id, team_id, created_at, source, ingested_at) "
        "VALUES ('file:A-1', 't', now(), 'file', now())"
    )
    old.close()

    ws = Workspace.open(tmp_path / "ws")
    assert ws.store.schema_version() == SCHEMA_VERSION
    assert sorted(ws.store.columns("work_item")) == sorted(TABLES["work_item"].column_names)
    assert ws.store.sql("SELECT id, owner_id FROM work_item") == [("file:A-1", None)]
    assert ws.store.sql("SELECT count(*) FROM import_run") == [(0,)]


def test_a_newer_store_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "s.duckdb")
    store.sql(
        f"UPDATE {META_TABLE} SET value = ? WHERE key = 'schema_version'", [str(SCHEMA_VERSION + 1)]
    )
    store.close()
    with pytest.raises(SchemaVersionError, match=r"schema version \d+.*upgrade productops"):
        Store.open(tmp_path / "s.duckdb")


def test_migrations_are_numbered_in_order_and_name_known_tables() -> None:
    assert [m.version for m in MIGRATIONS] == list(range(1, len(MIGRATIONS) + 1))
    for m in MIGRATIONS:
        for op in m.operations:
            table = TABLES[op.table]
            if isinstance(op, AddColumn | UniqueIndex):
                assert op.column in table.column_names
            assert isinstance(op, AddColumn | CreateTable | UniqueIndex)


def test_every_table_carries_source_and_ingested_at_and_has_its_key() -> None:
    for table in TABLES.values():
        assert table.column_names[-2:] == ["source", "ingested_at"]
        assert set(table.key) <= set(table.column_names)
        for col in table.columns:
            assert col.ref is None or col.ref in TABLES, (table.name, col.name)
