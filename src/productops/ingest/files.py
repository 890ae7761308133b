"""`productops import TABLE FILE`: one file into one canonical table."""

from __future__ import annotations

import re
from pathlib import Path

from productops.config import ImportMapping
from productops.engine import Store
from productops.errors import ImportFileError, UsageError
from productops.ingest.landing import ImportCounts, land
from productops.ingest.read import read_file
from productops.schema import table as canonical_table

__all__ = ["import_file"]

_SOURCE = re.compile(r"[a-z][a-z0-9_.-]*")


def import_file(
    store: Store,
    table_name: str,
    path: Path,
    mapping: ImportMapping | None = None,
    source: str | None = None,
) -> ImportCounts:
    """Import `path` (CSV, JSON Lines or Parquet) into the canonical table `table_name`.

    `mapping` comes from `[imports.TABLE]` in productops.toml; `source` (else
    the mapping's, else "file") qualifies the keys. Raises `ImportFileError`
    when the file cannot be read at all.

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
    mapping = mapping or ImportMapping()
    source = source or mapping.source or "file"
    if not _SOURCE.fullmatch(source):
        raise UsageError(
            f"source {source!r}: use lower-case letters, digits, '_', '-' or '.', e.g. jira"
        )
    read = read_file(path, table.column_names, mapping.columns)
    for key in table.key:
        if key not in read.data.column_names:
            hint = f"or map it in [imports.{table_name}.columns] of productops.toml"
            raise ImportFileError(
                f"{path}: no column for the key {key!r} of {table_name}; rename a column to {key!r} {hint}"
            )
    if read.data.num_rows == 0 and not read.rejected:
        raise ImportFileError(f"{path}: no rows to import")
    return land(
        store,
        table,
        read,
        source=source,
        file=str(path.resolve()),
        mapping=mapping,
    )
