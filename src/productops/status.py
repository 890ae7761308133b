"""What a workspace holds: rows per table, imports per source, quarantined rows."""

from __future__ import annotations

from typing import Any

from productops.engine import Store, quote
from productops.schema import TABLES

__all__ = ["import_history", "quarantined_rows", "table_counts"]


def _dicts(store: Store, query: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = store.arrow(query, params).to_pylist()
    return rows


def table_counts(store: Store) -> list[dict[str, Any]]:
    """One row per canonical table: rows held, rows quarantined for it, when it was last imported."""
    counts = " UNION ALL ".join(
        f"SELECT '{name}' AS table_name, count(*) AS n FROM {quote(name)}" for name in TABLES
    )
    rows = _dicts(
        store,
        f"WITH c AS ({counts}), "
        "q AS (SELECT table_name, count(*) AS n FROM quarantine GROUP BY ALL), "
        "i AS (SELECT table_name, max(finished_at) AS at FROM import_run GROUP BY ALL) "
        "SELECT c.table_name, c.n, coalesce(q.n, 0) AS quarantined, i.at AS last_import FROM c "
        "LEFT JOIN q USING (table_name) LEFT JOIN i USING (table_name)",
    )
    by_name = {r["table_name"]: r for r in rows}
    return [
        {
            "table": name,
            "area": t.area,
            "rows": by_name[name]["n"],
            "quarantined": by_name[name]["quarantined"],
            "last_import": by_name[name]["last_import"],
        }
        for name, t in TABLES.items()
    ]


def import_history(store: Store) -> list[dict[str, Any]]:
    """Per source and table: number of import runs, the last one, and rows landed in all."""
    return _dicts(
        store,
        'SELECT source, table_name AS "table", count(*) AS runs, max(finished_at) AS last_import, '
        "sum(landed)::BIGINT AS landed, sum(updated)::BIGINT AS updated, "
        "sum(quarantined)::BIGINT AS quarantined "
        'FROM import_run GROUP BY ALL ORDER BY source, "table"',
    )


def quarantined_rows(
    store: Store, table_name: str | None, limit: int | None
) -> list[dict[str, Any]]:
    """The newest quarantined rows, optionally for one table; at most `limit` (None: all)."""
    where = "WHERE table_name = ?" if table_name else ""
    params: list[Any] = [table_name] if table_name else []
    return _dicts(
        store,
        f"SELECT table_name, file, line, reason, record FROM quarantine {where} "
        f"ORDER BY ingested_at DESC, file, line{f' LIMIT {int(limit)}' if limit else ''}",
        params,
    )
