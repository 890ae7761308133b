"""The store: nested transactions are all or nothing."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from productops.config import EngineSettings
from productops.engine import Store

INSERT = "INSERT INTO team (id, name, source, ingested_at) VALUES (?, ?, 'test', now())"


def _outer_fails(store: Store) -> None:
    with store.transaction():
        with store.transaction():
            store.sql(INSERT, ["a", "A"])
        store.sql(INSERT, ["b", "B"])
        raise RuntimeError("the outer work fails")


def _inner_fails(store: Store) -> None:
    with store.transaction():
        store.sql(INSERT, ["c", "C"])
        with store.transaction():
            raise RuntimeError("the inner work fails")


def test_an_inner_transaction_commits_only_with_the_outer_one(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "s.duckdb")
    with pytest.raises(RuntimeError):
        _outer_fails(store)
    assert store.sql("SELECT count(*) FROM team") == [(0,)]
    with store.transaction():
        with store.transaction():
            store.sql(INSERT, ["a", "A"])
        store.sql(INSERT, ["b", "B"])
    assert store.sql("SELECT count(*) FROM team") == [(2,)]
    with pytest.raises(RuntimeError):
        _inner_fails(store)
    assert store.sql("SELECT count(*) FROM team") == [(2,)]


def test_the_spark_export_leaves_users_tokens_and_audit_in_the_store(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "s.duckdb")
    try:
        store.export_parquet(tmp_path / "parquet")
    finally:
        store.close()
    written = {p.stem for p in (tmp_path / "parquet").iterdir()}
    assert "work_item" in written
    assert not written & {"app_user", "app_user_team", "api_token", "audit_event"}


def test_the_store_works_on_the_threads_the_workspace_gives(tmp_path: Path) -> None:
    default = duckdb.connect().execute("SELECT current_setting('threads')").fetchone()
    for threads, expected in ((1, 1), (0, default[0] if default else None)):
        store = Store.open(tmp_path / "s.duckdb", engine=EngineSettings(threads=threads))
        try:
            assert store.sql("SELECT current_setting('threads')") == [(expected,)]
        finally:
            store.close()
