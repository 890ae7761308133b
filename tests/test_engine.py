"""The store: nested transactions are all or nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from productops.engine import Store


def test_an_inner_transaction_commits_only_with_the_outer_one(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "s.duckdb")
    insert = "INSERT INTO team (id, name, source, ingested_at) VALUES (?, ?, 'test', now())"
    with pytest.raises(RuntimeError), store.transaction():
        with store.transaction():
            store.sql(insert, ["a", "A"])
        store.sql(insert, ["b", "B"])
        raise RuntimeError("the outer work fails")
    assert store.sql("SELECT count(*) FROM team") == [(0,)]
    with store.transaction():
        with store.transaction():
            store.sql(insert, ["a", "A"])
        store.sql(insert, ["b", "B"])
    assert store.sql("SELECT count(*) FROM team") == [(2,)]
    with pytest.raises(RuntimeError), store.transaction():
        store.sql(insert, ["c", "C"])
        with store.transaction():
            raise RuntimeError("the inner work fails")
    assert store.sql("SELECT count(*) FROM team") == [(2,)]
