"""Every number down to its rows: a criterion's kept values per team and period, and the
rows of the table it reads for one team and period (the web app's drill-down).

A criterion's rows are those of the first table it reads that has a time (`ROW_TABLES`):
the team's rows (for feedback: feedback linked to the team's work items) whose time falls in
the period. Survey answers are never listed: a survey criterion leads to its surveys.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from productops.errors import NotFoundError
from productops.ops.criteria import CRITERIA, ORG, Criterion
from productops.ops.scorecard import shift
from productops.reports.labels import number, period_label
from productops.schema import TABLES

if TYPE_CHECKING:
    from productops.durations import Grain
    from productops.workspace import Workspace

__all__ = [
    "ROWS_SHOWN",
    "ROW_TABLES",
    "CriterionRows",
    "KeptValue",
    "criterion",
    "kept_values",
    "rows_behind",
]

ROWS_SHOWN = 500
"""Rows a page lists at most (its CSV has them all)."""
ROW_TABLES = {
    "work_item": "resolved_at",
    "decision": "decided_at",
    "usage_event": "ts",
    "data_check_result": "run_at",
    "feedback": "created_at",
    "activity": "held_at",
    "survey": "closed_at",
    "experiment": "created_at",
    "account": "churned_at",
    "insight": "published_at",
}
"""Tables a criterion's rows can come from, with the time that places a row in a period."""
_BY_LINK = (
    "id IN (SELECT l.feedback_id FROM feedback_link l JOIN work_item w ON w.id = l.work_item_id "
    "WHERE l.state = 'confirmed' AND w.team_id = ?)"
)


@dataclass(frozen=True)
class KeptValue:
    """A criterion's kept value for one team (or `ORG`) and period."""

    team_id: str
    period_start: datetime
    period: str
    value: float | None
    unit: str
    target: float | None
    reason: str | None
    shown: str


@dataclass(frozen=True)
class CriterionRows:
    """The rows behind a criterion's value: `columns`, the first `ROWS_SHOWN` (or all) `rows`,
    and how many there are (`total`)."""

    criterion: Criterion
    table: str
    time_column: str
    team_id: str
    period: str
    columns: list[str]
    rows: list[dict[str, Any]]
    total: int


def criterion(ident: str) -> Criterion:
    """The built-in criterion `ident`, or `NotFoundError`."""
    found = CRITERIA.get(ident)
    if found is None:
        raise NotFoundError(
            f"criterion {ident!r}: no such criterion (`productops scorecard criteria`)"
        )
    return found


def kept_values(ws: Workspace, ident: str, grain: Grain) -> list[KeptValue]:
    """The criterion's kept values of every team and period of `grain`, newest period first."""
    found = criterion(ident)
    rows = ws.store.sql(
        "SELECT team_id, period_start, value, unit, target, reason FROM metric_snapshot "
        "WHERE metric = ? AND grain = ? ORDER BY period_start DESC, team_id = ? DESC, team_id",
        [ident, grain, ORG],
    )
    return [
        KeptValue(
            t, p, period_label(p, grain), v, u or found.unit, g, r, number(v, u or found.unit)
        )
        for t, p, v, u, g, r in rows
    ]


def _table(c: Criterion) -> str:
    tables = [t for t in c.needs if t in ROW_TABLES]
    if not tables:
        raise NotFoundError(f"criterion {c.id}: reads no table whose rows can be listed")
    return tables[0]


def rows_behind(
    ws: Workspace,
    ident: str,
    team: str,
    start: datetime,
    grain: Grain,
    limit: int | None = ROWS_SHOWN,
) -> CriterionRows:
    """The rows criterion `ident` reads for `team` (or `ORG`: every team) in the period of
    `grain` that starts at `start`."""
    c = criterion(ident)
    table = _table(c)
    time = ROW_TABLES[table]
    columns = [
        col.name for col in TABLES[table].columns if col.name not in ("source", "ingested_at")
    ]
    params: list[Any]
    where, params = [f'"{time}" >= ? AND "{time}" < ?'], [start, shift(start, grain, 1)]
    if team != ORG and table == "feedback":
        where.append(_BY_LINK)
        params.append(team)
    elif team != ORG and "team_id" in columns:
        where.append("team_id = ?")
        params.append(team)
    sql = f"FROM {table} WHERE {' AND '.join(where)}"
    total = ws.store.sql(f"SELECT count(*) {sql}", params)[0][0]
    shown = ", ".join(f'"{col}"' for col in columns)
    cap = "" if limit is None else f" LIMIT {int(limit)}"
    rows = ws.store.arrow(f'SELECT {shown} {sql} ORDER BY "{time}", 1{cap}', params).to_pylist()
    return CriterionRows(c, table, time, team, period_label(start, grain), columns, rows, total)
