"""Analytics for the pages at page speed: an Ibis expression over the canonical tables is
compiled to SQL once per process and run as that SQL afterwards.

Compiling an expression costs tens to hundreds of milliseconds (Ibis builds and rewrites
its tree, then sqlglot prints it), often more than running it; a page that shows a few
analyses would spend its whole budget compiling. The SQL names the tables, not the store,
so it runs on every store the process opens. An expression cached here must depend on
nothing but its `key`: no literal that changes between calls (filter its rows afterwards,
in the SQL `where` given to `rows`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from productops.workspace import Workspace

__all__ = ["rows", "sql"]

_SQL: dict[str, str] = {}
_LOCK = threading.Lock()


def sql(ws: Workspace, key: str, build: Callable[[Callable[[str], ir.Table]], ir.Table]) -> str:
    """The SQL of `build(table)`, compiled on the first call with `key`."""
    with _LOCK:
        found = _SQL.get(key)
    if found is None:
        backend = ws.store.ibis()
        found = str(backend.compile(build(backend.table)))
        with _LOCK:
            _SQL[key] = found
    return found


def rows(
    ws: Workspace,
    key: str,
    build: Callable[[Callable[[str], ir.Table]], ir.Table],
    where: str = "TRUE",
    params: Sequence[Any] = (),
) -> list[dict[str, Any]]:
    """The rows of `build(table)` (compiled once per `key`) that meet `where` (SQL over its
    columns, with `params`)."""
    query = f"SELECT * FROM ({sql(ws, key, build)}) AS compiled WHERE {where}"
    found: list[dict[str, Any]] = ws.store.arrow(query, list(params)).to_pylist()
    return found
