"""Analytics for the pages at page speed: an Ibis expression over the canonical tables is
compiled to SQL once per process and run as that SQL afterwards; and a page's analysis kept
(`kept`) until a table it reads changes.

Compiling an expression costs tens to hundreds of milliseconds (Ibis builds and rewrites
its tree, then sqlglot prints it), often more than running it; a page that shows a few
analyses would spend its whole budget compiling. The SQL names the tables, not the store,
so it runs on every store the process opens; the in-memory tables an expression holds (a
workflow's steps, say) are kept beside it and made queryable under their names for each run.
An expression cached here must depend on nothing but its `key`: no literal that changes
between calls (filter its rows afterwards, in the SQL `where` given to `rows`).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

import ibis.expr.operations as ops

if TYPE_CHECKING:
    import ibis.expr.types as ir
    import pyarrow as pa

    from productops.workspace import Workspace

__all__ = ["KEPT", "arrow", "kept", "rows", "sql", "version"]

Build = Callable[[Callable[[str], "ir.Table"]], "ir.Table"]
T = TypeVar("T")


@dataclass(frozen=True)
class _Compiled:
    sql: str
    tables: dict[str, pa.Table]  # the in-memory tables the SQL names


_CACHE: dict[str, _Compiled] = {}
_LOCK = threading.Lock()


def _compile(ws: Workspace, build: Build) -> _Compiled:
    backend = ws.store.ibis()
    expr = build(backend.table)
    held = expr.op().find(ops.InMemoryTable)
    return _Compiled(
        str(backend.compile(expr)), {t.name: t.data.to_pyarrow(t.schema) for t in held}
    )


def sql(ws: Workspace, key: str, build: Build) -> str:
    """The SQL of `build(table)`, compiled on the first call with `key`."""
    return _cached(ws, key, build).sql


def _cached(ws: Workspace, key: str, build: Build) -> _Compiled:
    with _LOCK:
        found = _CACHE.get(key)
    if found is None:
        found = _compile(ws, build)
        with _LOCK:
            _CACHE[key] = found
    return found


@contextmanager
def _staged(ws: Workspace, tables: dict[str, pa.Table]) -> Iterator[None]:
    with ExitStack() as stack:
        for name, data in tables.items():
            stack.enter_context(ws.store.staged(name, data))
        yield


def arrow(
    ws: Workspace, key: str, build: Build, where: str = "TRUE", params: Sequence[Any] = ()
) -> pa.Table:
    """The rows of `build(table)` (compiled once per `key`) that meet `where` (SQL over its
    columns, with `params` for its `?`), as an Arrow table."""
    found = _cached(ws, key, build)
    with _staged(ws, found.tables):
        query = f"SELECT * FROM ({found.sql}) AS compiled WHERE {where}"
        return ws.store.arrow(query, list(params))


def rows(
    ws: Workspace, key: str, build: Build, where: str = "TRUE", params: Sequence[Any] = ()
) -> list[dict[str, Any]]:
    """`arrow`'s rows as dicts, numbers as Python numbers."""
    out = arrow(ws, key, build, where, params).to_pylist()
    return [{k: _plain(v) for k, v in row.items()} for row in out]


def _plain(value: Any) -> Any:
    """A DECIMAL (DuckDB's sum of integers, where Ibis would have cast it) as a number."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


KEPT = 64
"""Analyses kept per process (the least recently used go first)."""
_KEPT: OrderedDict[tuple[Any, ...], Any] = OrderedDict()


def version(ws: Workspace, tables: Sequence[str]) -> tuple[Any, ...]:
    """What changes whenever one of `tables` does: its rows and newest `ingested_at` (every
    write, import or upsert stamps the rows it writes), with the audit trail's and import
    runs' lengths (every audited write and every import adds a row).

    One row per table, in a UNION ALL: DuckDB plans a row of scalar subqueries in time that
    grows much faster than their number (80 ms for four tables against 4 ms so)."""
    parts = [
        f"SELECT {i}, count(*), NULL::TIMESTAMPTZ FROM {t}"
        for i, t in enumerate(("audit_event", "import_run"))
    ]
    parts += [
        f"SELECT {i}, count(*), max(ingested_at)::TIMESTAMPTZ FROM {t}"
        for i, t in enumerate(tables, start=2)
    ]
    found = sorted(ws.store.sql(" UNION ALL ".join(parts)))
    return tuple(found)


def kept(ws: Workspace, key: str, tables: Sequence[str], compute: Callable[[], T]) -> T:
    """`compute()`, or what it gave before for `key` on this workspace while none of
    `tables` has changed since (see `version`). Keep the result read-only."""
    stamp = (str(ws.root), key, version(ws, tables))
    with _LOCK:
        if stamp in _KEPT:
            _KEPT.move_to_end(stamp)
            found: T = _KEPT[stamp]
            return found
    made = compute()
    with _LOCK:
        _KEPT[stamp] = made
        while len(_KEPT) > KEPT:
            _KEPT.popitem(last=False)
    return made
