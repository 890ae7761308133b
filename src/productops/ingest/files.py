"""`productops import TABLE FILE`: one file into one canonical table."""

from __future__ import annotations

import re
from pathlib import Path

from productops.config import EventFormat, ImportMapping
from productops.engine import Store
from productops.errors import ImportFileError, UsageError
from productops.ingest.events import open_events
from productops.ingest.landing import ImportCounts, land_staged, staged_stream
from productops.ingest.read import open_file
from productops.schema import Table
from productops.schema import table as canonical_table

__all__ = ["import_file"]

_SOURCE = re.compile(r"[a-z][a-z0-9_.-]*")


def import_file(
    store: Store,
    table_name: str,
    path: Path,
    mapping: ImportMapping | None = None,
    source: str | None = None,
    kind: EventFormat | None = None,
) -> ImportCounts:
    """Import `path` (CSV, JSON Lines or Parquet) into the canonical table `table_name`.

    The file is read in batches staged in DuckDB, which then validates and
    upserts them at once in one transaction: memory does not grow with the
    file, and an import that fails or is killed part-way leaves the store as
    it was.

    `mapping` comes from `[imports.TABLE]` in productops.toml; `source` (else
    the mapping's, else "file") qualifies the keys. Raises `ImportFileError`
    when the file cannot be read at all. `kind` reads `path` as a vendor's product events
    (`ingest.events`: segment, posthog, amplitude) into `event`; the ids name the vendor.

    >>> import_file(store, "team", Path("teams.csv")).landed  # doctest: +SKIP
    6
    """
    table = canonical_table(table_name)
    if table.system:
        raise UsageError(f"{table_name} is kept by productops itself and cannot be imported")
    if table.name == "feedback":
        raise UsageError(
            "feedback is redacted and its people hashed on the way in: import it with "
            "`productops feedback import generic FILE` (or another kind, docs/feedback.md)"
        )
    if kind is not None and table.name != "event":
        raise UsageError(f"--format {kind} reads product events: import them into event")
    mapping = mapping or ImportMapping()
    source = source or mapping.source or kind or "file"
    if not _SOURCE.fullmatch(source):
        raise UsageError(
            f"source {source!r}: use lower-case letters, digits, '_', '-' or '.', e.g. jira"
        )
    opened = (
        open_events(store, path, kind)
        if kind
        else open_file(path, table.column_names, mapping.columns)
    )
    with opened as stream:
        if stream.header_known:
            _require_key(path, table, stream.columns)
        with staged_stream(store, stream) as read, store.unordered():
            _require_key(path, table, stream.columns)
            if not read:
                raise ImportFileError(f"{path}: no rows to import")
            return land_staged(
                store,
                table,
                stream.columns,
                source=source,
                file=str(path.resolve()),
                mapping=mapping,
                label=stream.line_label,
                ignored=stream.ignored_columns,
            )


def _require_key(path: Path, table: Table, columns: dict[str, bool]) -> None:
    for key in table.key:
        if key not in columns:
            hint = f"or map it in [imports.{table.name}.columns] of productops.toml"
            raise ImportFileError(
                f"{path}: no column for the key {key!r} of {table.name}; rename a column to {key!r} {hint}"
            )
