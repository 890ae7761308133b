"""Landing read rows in a canonical table: validate, quarantine, upsert, in one transaction.

The rows are staged in DuckDB (an Arrow table registered, or a file's batches copied into
temporary tables) and checked and upserted there with set operations, once.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from productops.config import DateOrder, ImportMapping
from productops.engine import Store, quote
from productops.ingest.coerce import date_evidence_sql, literal, raw_name, reason_sql, typed_sql
from productops.ingest.read import LINE, FileStream, ReadResult, Rejection, text_columns
from productops.ingest.team_tree import check_team_tree
from productops.schema import Table

__all__ = [
    "FEW_ROWS",
    "ImportCounts",
    "land",
    "land_arrow",
    "land_select",
    "land_staged",
    "staged_stream",
]

# Arrow tables of at most this many rows land through `_land_few` (a registry write's one row
# takes a few milliseconds less than through staging tables).
FEW_ROWS = 50


@dataclass(frozen=True)
class ImportCounts:
    """What one import did: rows new, changed, identical to what was stored, and set aside."""

    table: str
    file: str
    landed: int
    updated: int
    unchanged: int
    quarantined: int
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def read(self) -> int:
        return self.landed + self.updated + self.unchanged + self.quarantined


def land(
    store: Store,
    table: Table,
    read: ReadResult,
    *,
    source: str,
    file: str,
    mapping: ImportMapping | None = None,
) -> ImportCounts:
    """Validate `read` against `table`, quarantine bad rows and upsert the rest, atomically.

    `mapping` says how text values read (timestamp formats, date order, decimal
    separator). Re-landing the same rows changes nothing: rows are matched on
    the table's key and only new or changed ones are written.
    """
    rejected = _rejections(read.rejected)
    with store.staged("_staged", read.data), store.staged("_rejected", rejected):
        return land_staged(
            store,
            table,
            text_columns(read.data.schema),
            source=source,
            file=file,
            mapping=mapping,
            label=read.line_label,
            ignored=read.ignored_columns,
        )


@contextmanager
def staged_stream(store: Store, stream: FileStream) -> Iterator[int]:
    """`stream`'s rows in the temporary tables `_staged` and `_rejected` for the block; yields
    how many rows were read, staged or rejected.

    DuckDB holds the tables within its memory limit and spills the rest to its
    temporary directory, so memory does not grow with the file. Staging changes
    nothing in the store, so it runs outside a transaction (`land_staged` opens
    one): inside one, DuckDB would keep every batch's Arrow buffers alive until
    it commits.
    """
    try:
        store.sql(
            "CREATE OR REPLACE TEMP TABLE _rejected (line BIGINT, reason VARCHAR, record VARCHAR)"
        )
        if stream.parquet is not None:
            source = stream.parquet
            store.copy_parquet("_staged", source.path, source.columns, LINE)
        else:
            _stage_batches(store, stream)
        counted = "SELECT (SELECT count(*) FROM _staged) + (SELECT count(*) FROM _rejected)"
        yield int(store.sql(counted)[0][0])
    finally:
        store.sql("DROP TABLE IF EXISTS _staged")
        store.sql("DROP TABLE IF EXISTS _rejected")


def _stage_batches(store: Store, stream: FileStream) -> None:
    with store.staged("_batch", stream.schema.empty_table()):
        store.sql("CREATE OR REPLACE TEMP TABLE _staged AS SELECT * FROM _batch")
    for batch in stream.batches:
        with store.staged("_batch", batch.data):
            store.sql("INSERT INTO _staged SELECT * FROM _batch")
        if batch.rejected:
            with store.staged("_batch", _rejections(batch.rejected)):
                store.sql("INSERT INTO _rejected SELECT * FROM _batch")


def _rejections(rejected: list[Rejection]) -> pa.Table:
    return pa.table(
        {
            "line": pa.array([r.line for r in rejected], pa.int64()),
            "reason": pa.array([r.reason for r in rejected], pa.string()),
            "record": pa.array([r.record for r in rejected], pa.string()),
        }
    )


def land_staged(
    store: Store,
    table: Table,
    read_columns: dict[str, bool],
    *,
    source: str,
    file: str,
    mapping: ImportMapping | None = None,
    label: str = "line",
    ignored: list[str] | None = None,
) -> ImportCounts:
    """Land the rows of `_staged` and `_rejected` (see `land`) in one transaction.

    `read_columns` maps each canonical column `_staged` holds to whether it was
    read as text; `label` names a row's place in the file (line, or row for
    Parquet); `ignored` lists the file's columns no canonical one took.
    """
    mapping = mapping or ImportMapping()
    started = _clock(table)
    cols = [c.name for c in table.columns if c.name != "ingested_at"]
    key = [quote(k) for k in table.key]
    with store.transaction():
        reading = mapping.model_copy(
            update={"date_order": _date_order(store, table, read_columns, mapping)}
        )
        typed = typed_sql(table, read_columns, source, reading)
        reasons = reason_sql(table, read_columns, reading)
        _check(store, read_columns, typed, reasons, key, label)
        if table.name == "team":
            check_team_tree(store)
        _keep_derived(store, table, read_columns, key)
        counts = _upsert(store, table, cols, key)
        quarantined = _quarantine(store, table, read_columns, file)
        _record_run(store, table, file, source, started, (*counts, quarantined))
        for temp in ("_checked", "_change"):
            store.sql(f"DROP TABLE IF EXISTS {temp}")
    return ImportCounts(table.name, file, *counts, quarantined, list(ignored or []))


def _clock(table: Table) -> datetime:
    """Now; for an anonymous table only today, so no time of day records when someone answered."""
    now = datetime.now(UTC)
    return now.replace(hour=0, minute=0, second=0, microsecond=0) if table.anonymous else now


def _date_order(
    store: Store, table: Table, read_columns: dict[str, bool], mapping: ImportMapping
) -> DateOrder:
    """The mapping's date order; for auto, as the file's text timestamps tell it: dmy if some
    read only day-first (13/01/2024) and none only month-first, mdy the other way, else auto."""
    names = [c.name for c in table.columns if c.type == "timestamp" and read_columns.get(c.name)]
    if mapping.date_order != "auto" or not names:
        return mapping.date_order
    evidence = ", ".join(date_evidence_sql(f"s.{quote(n)}") for n in names)
    found = store.sql(f"SELECT {evidence} FROM _staged s")[0]
    day_first, month_first = any(found[0::2]), any(found[1::2])
    if day_first == month_first:
        return "auto"
    return "dmy" if day_first else "mdy"


def _check(
    store: Store,
    read_columns: dict[str, bool],
    typed: list[str],
    reasons: str,
    key: list[str],
    label: str,
) -> None:
    """_checked: typed rows with `_reason`, '' when valid; later duplicates of a key are invalid."""
    partition = ", ".join(f"r.{k}" for k in key)
    store.sql(
        f"CREATE OR REPLACE TEMP TABLE _checked AS {_reasoned_sql(read_columns, typed, reasons)} "
        f"SELECT t.* EXCLUDE (_reason, _first), CASE WHEN t._reason = '' AND t._first < t.{LINE} "
        f"THEN 'duplicate key in this file, first at {label} ' || t._first ELSE t._reason END AS _reason "
        f"FROM (SELECT r.*, min(r.{LINE}) FILTER (WHERE r._reason = '') OVER (PARTITION BY "
        f"{partition}) AS _first FROM r) t"
    )


def _reasoned_sql(read_columns: dict[str, bool], typed: list[str], reasons: str) -> str:
    """`WITH ... r`: the rows of `_staged` typed, each with `_reason` ('' when valid).

    One pass over the read rows: each value is typed beside its raw form, and
    the reasons read both.
    """
    raw = [f"s.{quote(c)} AS {raw_name(c)}" for c in read_columns]
    drop = f" EXCLUDE ({', '.join(raw_name(c) for c in read_columns)})" if read_columns else ""
    return (
        f"WITH t AS (SELECT {', '.join([f's.{LINE}', *typed, *raw])} FROM _staged s), "
        f"r AS (SELECT t.*{drop}, {reasons} AS _reason FROM t)"
    )


def _keep_derived(
    store: Store, table: Table, read_columns: dict[str, bool], key: list[str]
) -> None:
    """In `_checked`, derived columns the rows do not carry take the stored row's values where
    the column they derive from is unchanged; elsewhere they stay empty, to be computed again."""
    derived = {
        c.name: c.derived_from
        for c in table.columns
        if c.derived_from is not None and c.name not in read_columns
    }
    if not derived:
        return
    on = " AND ".join(f"e.{k} = g.{k}" for k in key)
    sets = ", ".join(
        f"{quote(name)} = CASE WHEN g.{quote(basis)} IS NOT DISTINCT FROM e.{quote(basis)} "
        f"THEN e.{quote(name)} END"
        for name, basis in derived.items()
    )
    store.sql(f"UPDATE _checked g SET {sets} FROM {quote(table.name)} e WHERE {on}")


def _upsert(store: Store, table: Table, cols: list[str], key: list[str]) -> tuple[int, int, int]:
    """Insert new keys, replace changed rows, leave identical ones; returns the three counts."""
    name = quote(table.name)
    on = " AND ".join(f"e.{k} = g.{k}" for k in key)
    differs = " OR ".join(f"g.{quote(c)} IS DISTINCT FROM e.{quote(c)}" for c in cols)
    store.sql(
        f"CREATE OR REPLACE TEMP TABLE _change AS SELECT g.* EXCLUDE ({LINE}, _reason), "
        f"CASE WHEN e.{key[0]} IS NULL THEN 'new' WHEN {differs} THEN 'updated' ELSE 'unchanged' END "
        f"AS _kind FROM _checked g LEFT JOIN {name} e ON {on} WHERE g._reason = ''"
    )
    landed, updated, unchanged = store.sql(
        "SELECT count(*) FILTER (WHERE _kind = 'new'), count(*) FILTER (WHERE _kind = 'updated'), "
        "count(*) FILTER (WHERE _kind = 'unchanged') FROM _change"
    )[0]
    if updated:
        store.sql(f"DELETE FROM {name} e USING _change g WHERE g._kind = 'updated' AND {on}")
    if landed or updated:
        listed = ", ".join(quote(c) for c in cols)
        store.sql(
            f"INSERT INTO {name} ({listed}, ingested_at) SELECT {listed}, ? FROM _change "
            f"WHERE _kind <> 'unchanged'",
            [_clock(table)],
        )
    return int(landed), int(updated), int(unchanged)


def _quarantine(store: Store, table: Table, read_columns: dict[str, bool], file: str) -> int:
    """Set aside unreadable and invalid rows with their reasons; a row already there stays once."""
    fields = ", ".join(f"{literal(c)}: s.{quote(c)}" for c in read_columns)
    record = f"to_json({{{fields}}})" if fields else "'{}'"
    store.sql(
        f"CREATE OR REPLACE TEMP TABLE _bad AS "
        f"SELECT line, reason, record FROM _rejected UNION ALL "
        f"SELECT c.{LINE}, c._reason, CAST({record} AS VARCHAR) FROM _checked c "
        f"JOIN _staged s ON s.{LINE} = c.{LINE} WHERE c._reason <> ''"
    )
    count = int(store.sql("SELECT count(*) FROM _bad")[0][0])
    if count:
        store.sql(
            "INSERT INTO quarantine (id, table_name, file, line, reason, record, source, ingested_at) "
            "SELECT b.id, ?, ?, b.line, b.reason, b.record, 'import', now() FROM ("
            "SELECT md5(concat_ws('|', ?, ?, line, reason, record)) AS id, * FROM _bad) b "
            "WHERE NOT EXISTS (SELECT 1 FROM quarantine q WHERE q.id = b.id)",
            [table.name, file, table.name, file],
        )
    store.sql("DROP TABLE _bad")
    return count


def land_arrow(
    store: Store, table: Table, data: pa.Table, *, source: str, label: str
) -> ImportCounts:
    """Land an in-memory Arrow table (typed columns named as the canonical ones), as an import would.

    Up to `FEW_ROWS` rows take a shorter path (`_land_few`) with the same result.
    """
    numbered = data.append_column(LINE, pa.array(range(1, data.num_rows + 1), pa.int64()))
    if data.num_rows <= FEW_ROWS:
        counts = _land_few(store, table, numbered, source=source, file=label)
        if counts is not None:
            return counts
    return land(store, table, ReadResult(numbered, line_label="row"), source=source, file=label)


def land_select(
    store: Store, table: Table, query: str, params: list[Any], *, source: str, label: str
) -> ImportCounts:
    """Land the rows `query` selects from the store (typed columns named as the canonical ones),
    as `land_arrow` would land them fetched, but staged inside DuckDB: they never reach Python,
    so memory does not grow with them."""
    try:
        store.sql(
            "CREATE OR REPLACE TEMP TABLE _rejected (line BIGINT, reason VARCHAR, record VARCHAR)"
        )
        store.sql(
            f"CREATE OR REPLACE TEMP TABLE _staged AS SELECT q.*, "
            f"CAST(row_number() OVER () AS BIGINT) AS {LINE} FROM ({query}) q",
            params,
        )
        schema = store.arrow("SELECT * FROM _staged LIMIT 0").schema
        return land_staged(
            store, table, text_columns(schema), source=source, file=label, label="row"
        )
    finally:
        store.sql("DROP TABLE IF EXISTS _staged")
        store.sql("DROP TABLE IF EXISTS _rejected")


def _land_few(
    store: Store, table: Table, data: pa.Table, *, source: str, file: str
) -> ImportCounts | None:
    """Land `data` (with `_line`) as `land` would, in a few statements and no temporary
    tables; None, with nothing written, where `land` must: a row is invalid or repeats
    another's key (it quarantines them), the table is `team` (it checks the tree) or a
    derived column is to be kept.

    One query types and checks the rows with `land_staged`'s SQL and compares them with
    the stored ones; the changed ones are then deleted and inserted, and the run recorded.
    """
    read_columns = text_columns(data.schema)
    derived = [c for c in table.columns if c.derived_from and c.name not in read_columns]
    if table.name == "team" or derived:
        return None
    mapping = ImportMapping()
    started = _clock(table)
    cols = [c.name for c in table.columns if c.name != "ingested_at"]
    key = [quote(k) for k in table.key]
    name = quote(table.name)
    with store.transaction(), store.staged("_staged", data):
        reading = mapping.model_copy(
            update={"date_order": _date_order(store, table, read_columns, mapping)}
        )
        typed = typed_sql(table, read_columns, source, reading)
        reasons = reason_sql(table, read_columns, reading)
        checked = [
            row[1:]
            for row in store.sql(f"{_reasoned_sql(read_columns, typed, reasons)} SELECT * FROM r")
        ]
        at = [cols.index(k) for k in table.key]
        keys = [tuple(row[i] for i in at) for row in checked]
        if len(set(keys)) < len(keys) or any(row[-1] for row in checked):
            return None
        one = "(" + " AND ".join(f"{k} = ?" for k in key) + ")"
        listed = ", ".join(quote(c) for c in cols)
        stored = (
            store.sql(
                f"SELECT {listed} FROM {name} WHERE {' OR '.join(one for _ in keys)}", _flat(keys)
            )
            if keys
            else []
        )
        found = {tuple(row[i] for i in at): row for row in stored}
        if len(found) < len(stored):  # a key stored twice: the full path says what then
            return None
        kinds = [
            _kind(row[: len(cols)], found.get(k)) for row, k in zip(checked, keys, strict=True)
        ]
        counts = (kinds.count("new"), kinds.count("updated"), kinds.count("unchanged"))
        if counts[1]:
            updated = [k for k, kind in zip(keys, kinds, strict=True) if kind == "updated"]
            store.sql(
                f"DELETE FROM {name} WHERE {' OR '.join(one for _ in updated)}", _flat(updated)
            )
        changed = [
            row[: len(cols)]
            for row, kind in zip(checked, kinds, strict=True)
            if kind != "unchanged"
        ]
        if changed:
            values, now = "(" + ", ".join("?" for _ in range(len(cols) + 1)) + ")", _clock(table)
            store.sql(
                f"INSERT INTO {name} ({listed}, ingested_at) VALUES "
                f"{', '.join(values for _ in changed)}",
                _flat([(*row, now) for row in changed]),
            )
        _record_run(store, table, file, source, started, (*counts, 0))
    return ImportCounts(table.name, file, *counts, 0)


def _kind(row: tuple[Any, ...], stored: tuple[Any, ...] | None) -> str:
    """new, updated or unchanged: `row` against the stored row of its key, value by value as
    SQL's IS DISTINCT FROM compares them (NaN is NaN)."""
    if stored is None:
        return "new"
    same = all(a == b or (a != a and b != b) for a, b in zip(row, stored, strict=True))
    return "unchanged" if same else "updated"


def _flat(rows: list[tuple[Any, ...]]) -> list[Any]:
    return [value for row in rows for value in row]


def _record_run(
    store: Store,
    table: Table,
    file: str,
    source: str,
    started: datetime,
    counts: tuple[int, int, int, int],
) -> None:
    """The `import_run` row of one landing: its rows new, updated, unchanged and quarantined."""
    store.sql(
        "INSERT INTO import_run (id, table_name, file, started_at, finished_at, landed, updated, "
        "unchanged, quarantined, source, ingested_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            str(uuid.uuid4()),
            table.name,
            file,
            started,
            _clock(table),
            *counts,
            source,
            _clock(table),
        ],
    )
