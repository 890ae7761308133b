"""The store: nested transactions are all or nothing; views (cursors) of one open store, and
bookkeeping that gives way to a transaction changing the same row."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from productops.config import EngineSettings
from productops.engine import LOCAL_JVM_OPTIONS, Store, _spark_token, _with_token, session_settings
from productops.errors import ConfigError

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


def test_a_spark_connect_token_comes_from_the_variable_named(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = EngineSettings(
        kind="pyspark", spark_master="sc://h:443/;use_ssl=true", spark_token_env="PO_SPARK_TOKEN"
    )
    monkeypatch.delenv("PO_SPARK_TOKEN", raising=False)
    with pytest.raises(ConfigError, match="names PO_SPARK_TOKEN, which is not set"):
        _spark_token(settings)
    monkeypatch.setenv("PO_SPARK_TOKEN", "s3cret")
    token = _spark_token(settings)
    assert _with_token(settings.spark_master, token) == "sc://h:443/;use_ssl=true;token=s3cret"
    assert _with_token("sc://h:15002/", token) == "sc://h:15002/;token=s3cret"
    assert _with_token("sc://h:15002", None) == "sc://h:15002"


def test_local_spark_compiles_with_the_first_jit_tier_and_the_users_options_win() -> None:
    local = session_settings(
        "local[2]", {"spark.driver.extraJavaOptions": "-XX:TieredStopAtLevel=4"}
    )
    assert local["spark.driver.extraJavaOptions"].split() == [
        "-Duser.timezone=UTC",
        *LOCAL_JVM_OPTIONS,
        "-XX:TieredStopAtLevel=4",  # the JVM takes the last: the user's
    ]
    assert local["spark.sql.shuffle.partitions"] == "2"
    assert "spark.executor.extraJavaOptions" not in local  # one JVM in local mode
    cluster = session_settings("spark://127.0.0.1:7077", {"spark.sql.shuffle.partitions": "8"})
    assert cluster["spark.driver.extraJavaOptions"] == "-Duser.timezone=UTC"
    assert cluster["spark.executor.extraJavaOptions"] == "-Duser.timezone=UTC"
    assert cluster["spark.sql.shuffle.partitions"] == "8"
    assert cluster["spark.sql.session.timeZone"] == "UTC"


def test_a_view_has_its_own_transactions_and_bookkeeping_gives_way(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "s.duckdb")
    store.sql(INSERT, ["a", "A"])
    view = store.cursor()
    rename = "UPDATE team SET name = ? WHERE id = 'a'"
    with view.transaction():
        view.sql(rename, ["in the view"])
        assert store.sql("SELECT name FROM team") == [("A",)]  # not committed yet
        assert not store.bookkeep(rename, ["bookkept"])  # the same row: it gives way
    assert store.sql("SELECT name FROM team") == [("in the view",)]
    assert store.bookkeep(rename, ["bookkept"])
    assert view.sql("SELECT name FROM team") == [("bookkept",)]
    assert view.sql("SELECT current_setting('TimeZone')") == [("UTC",)]
    view.close()
    store.close()


def test_the_store_works_on_the_threads_the_workspace_gives(tmp_path: Path) -> None:
    default = duckdb.connect().execute("SELECT current_setting('threads')").fetchone()
    for threads, expected in ((1, 1), (0, default[0] if default else None)):
        store = Store.open(tmp_path / "s.duckdb", engine=EngineSettings(threads=threads))
        try:
            assert store.sql("SELECT current_setting('threads')") == [(expected,)]
        finally:
            store.close()
