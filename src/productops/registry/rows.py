"""What every registry shares: landing its rows, and finding a record from a short reference."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyarrow as pa

from productops.engine import Store, quote
from productops.errors import UsageError
from productops.ingest import ImportCounts, land_arrow, land_select
from productops.registry.lookup import pick
from productops.schema import TABLES

__all__ = ["SOURCE", "TIMESTAMP", "land", "land_query", "resolve", "strings", "update"]

SOURCE = "productops"
TIMESTAMP = pa.timestamp("us", tz="UTC")


def land(store: Store, table: str, data: pa.Table, label: str) -> None:
    """Land rows; a row that fails validation is an error carrying the quarantine's reason."""
    _accepted(
        store, table, label, land_arrow(store, TABLES[table], data, source=SOURCE, label=label)
    )


def land_query(store: Store, table: str, query: str, params: list[Any], label: str) -> ImportCounts:
    """Land the rows `query` selects from the store, inside it (`ingest.land_select`: they are
    never fetched); a row that fails validation is an error as in `land`. Returns the counts."""
    counts = land_select(store, TABLES[table], query, params, source=SOURCE, label=label)
    _accepted(store, table, label, counts)
    return counts


def _accepted(store: Store, table: str, label: str, counts: ImportCounts) -> None:
    if counts.quarantined:
        reason = store.sql(
            "SELECT reason FROM quarantine WHERE table_name = ? AND file = ? "
            "ORDER BY ingested_at DESC LIMIT 1",
            [table, label],
        )
        why = reason[0][0] if reason else "see `productops quarantine`"
        raise UsageError(f"{table}: a row was not accepted: {why}")


def update(store: Store, table: str, ident: str, label: str, **changes: Any) -> None:
    """Change some columns of the row `ident` of `table` (keyed by `id`), landing it again."""
    data = store.arrow(f"SELECT * EXCLUDE (ingested_at) FROM {quote(table)} WHERE id = ?", [ident])
    for name, value in changes.items():
        i = data.schema.get_field_index(name)
        data = data.set_column(i, name, pa.array([value], data.schema.field(name).type))
    land(store, table, data, label)


def strings(values: Sequence[str | None]) -> pa.Array:  # type: ignore[type-arg]
    return pa.array(list(values), pa.string())


def resolve(
    store: Store, table: str, prefix: str, ref: str, noun: str, listing: str | None = None
) -> str:
    """The id of `table` a reference names (`lookup.pick`): the id itself, its part after
    `source:` or `source:PREFIX-`, or a unique start of one of these.

    `listing` is the command that lists them (default `productops NOUN list`).

    >>> resolve(store, "survey", "survey", "payments-q1", "survey")  # doctest: +SKIP
    'productops:survey-payments-q1'
    """
    name = quote(table)
    if store.sql(f"SELECT count(*) FROM {name} WHERE id = ?", [ref])[0][0]:
        return ref
    ids = [r[0] for r in store.sql(f"SELECT id FROM {name}")]
    return pick(noun, ref, ids, prefix=prefix, listing=listing or f"productops {noun} list")
