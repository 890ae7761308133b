"""Hand-made histories for analytics tests, landed through the import path."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa

from productops.engine import Store
from productops.ingest import land_arrow
from productops.schema import TABLES

T0 = datetime(2024, 4, 1, 9, tzinfo=UTC)  # a Monday
DAY = timedelta(days=1)
HOUR = timedelta(hours=1)


def result_rows(expr: Any) -> list[dict[str, Any]]:
    """Execute the Ibis expression `expr`: its rows as dicts."""
    rows: list[dict[str, Any]] = expr.to_pyarrow().to_pylist()
    return rows


def at(days: float) -> datetime:
    """`days` after T0."""
    return T0 + timedelta(days=days)


def land(store: Store, table: str, rows: list[dict[str, Any]]) -> None:
    """Land `rows` (dicts of canonical columns) into `table`; every row must be valid."""
    spec = TABLES[table]
    names = list(dict.fromkeys(k for r in rows for k in r))
    types = {
        "timestamp": pa.timestamp("us", tz="UTC"),
        "float": pa.float64(),
        "int": pa.int64(),
        "bool": pa.bool_(),
    }
    data = pa.table(
        {
            n: pa.array([r.get(n) for r in rows], types.get(spec.column(n).type, pa.string()))
            for n in names
        }
    )
    counts = land_arrow(store, spec, data, source="t", label="test")
    assert counts.quarantined == 0, store.sql("SELECT reason FROM quarantine")


def teams(store: Store, *ids: str) -> None:
    land(store, "team", [{"id": i, "name": i.title()} for i in ids])


def item(
    id: str, team: str, created: float, path: list[tuple[float, str, str]], **extra: Any
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A work item and its transitions: `path` is (days after T0, status, category), the first
    move being out of `extra['initial']` (default "To Do") and no creation transition."""
    initial = extra.pop("initial", "To Do")
    moves, previous = [], initial
    for days, status, category in path:
        moves.append(
            {
                "work_item_id": id,
                "changed_at": at(days),
                "from_status": previous,
                "to_status": status,
                "to_category": category,
            }
        )
        previous = status
    last_category = path[-1][2] if path else "todo"
    started = next((at(d) for d, _, c in path if c == "in_progress"), None)
    resolved = at(path[-1][0]) if path and last_category in ("done", "cancelled") else None
    row = {
        "id": id,
        "team_id": team,
        "created_at": at(created),
        "status": previous,
        "status_category": last_category,
        "started_at": started,
        "resolved_at": resolved,
        **extra,
    }
    return row, moves


def items(store: Store, *built: tuple[dict[str, Any], list[dict[str, Any]]]) -> None:
    land(store, "work_item", [b[0] for b in built])
    moves = [m for b in built for m in b[1]]
    if moves:
        land(store, "work_item_transition", moves)
