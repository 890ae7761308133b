"""The building blocks of the canonical schema: columns and tables as values."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = ["COMMON_COLUMNS", "DUCKDB_TYPES", "Column", "ColumnType", "Table"]

ColumnType = Literal["string", "int", "float", "bool", "timestamp", "date", "json"]

DUCKDB_TYPES: dict[ColumnType, str] = {
    "string": "VARCHAR",
    "int": "BIGINT",
    "float": "DOUBLE",
    "bool": "BOOLEAN",
    "timestamp": "TIMESTAMPTZ",
    "date": "DATE",
    # JSON is kept as text so that Parquet and Spark read it unchanged.
    "json": "VARCHAR",
}


@dataclass(frozen=True)
class Column:
    """One canonical column.

    `ref` names the table whose `id` a value must exist in (checked on import);
    `choices` lists the accepted values; `not_before` names a timestamp column of the same row
    that this one can never precede (resolved before created is bad data, quarantined on
    import); `derived_from` marks a value productops computes
    after landing from that column of the same row: landing rows without it keeps the stored
    value while that column is unchanged and clears it (to be computed again) when it changed.
    """

    name: str
    type: ColumnType = "string"
    doc: str = ""
    required: bool = False
    choices: tuple[str, ...] = ()
    ref: str | None = None
    derived_from: str | None = None
    not_before: str | None = None


@dataclass(frozen=True)
class Table:
    """One canonical table.

    `key` is the upsert key. When `qualified` is true, key values (and values
    of string columns ending in `_id` that point to other qualified tables) are
    prefixed with their source, e.g. `jira:PROJ-12`; organisation-level tables
    (team, person, account) keep the ids the organisation gives them. An
    `anonymous` table keeps only the day in `ingested_at`, so that when a row
    landed cannot point to who wrote it.
    """

    name: str
    area: str
    doc: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    qualified: bool = True
    system: bool = field(default=False)
    anonymous: bool = field(default=False)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)


COMMON_COLUMNS = (
    Column(
        "source",
        "string",
        "Where the row came from (jira, github, file name, demo).",
        required=True,
    ),
    Column(
        "ingested_at", "timestamp", "When the row last changed in this store (UTC).", required=True
    ),
)
