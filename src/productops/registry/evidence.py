"""Metric evidence frozen as seen, and re-run later to tell whether the data changed.

A metric request (`MetricRequest`: metric, by, grain, where, since, until) is
compiled through the catalog over the canonical tables as they were at
`data_as_of`: rows ingested later are left out, and only periods that had
ended by then count. The same request, re-run on unchanged data, gives the same
rows; after rows landed, `compare` names the periods whose values moved.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import ibis

from productops.durations import GRAINS, Grain
from productops.errors import UsageError
from productops.pillars.data import Catalog, compile_metric

if TYPE_CHECKING:
    import ibis.expr.types as ir
    from ibis.backends import BaseBackend

__all__ = [
    "Measurement",
    "MetricRequest",
    "compare",
    "frozen_json",
    "measure",
    "period_start",
]


@dataclass(frozen=True)
class MetricRequest:
    """What was asked of the catalog: a metric per period, grouped and filtered."""

    metric: str
    by: tuple[str, ...] = ()
    grain: Grain = "week"
    where: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None

    def spec(self) -> dict[str, Any]:
        """The request as the JSON kept in `decision_evidence.spec`."""
        return {
            "metric": self.metric,
            "by": list(self.by),
            "grain": self.grain,
            "where": list(self.where),
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
        }

    @classmethod
    def from_spec(cls, text: str) -> MetricRequest:
        """The request kept as `spec` JSON."""
        data = json.loads(text)
        grain = next((g for g in GRAINS if g == data.get("grain", "week")), None)
        if grain is None:
            raise UsageError(f"evidence spec: unknown grain {data.get('grain')!r}")
        times = {
            k: datetime.fromisoformat(data[k]) if data.get(k) else None for k in ("since", "until")
        }
        return cls(
            data["metric"], tuple(data.get("by", ())), grain, tuple(data.get("where", ())), **times
        )


@dataclass(frozen=True)
class Measurement:
    """A request's rows as of a moment, its compiled SQL and that SQL's SHA-256."""

    rows: list[dict[str, Any]]
    keys: list[str]
    query: str
    query_hash: str
    value: float | None = field(default=None)


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def period_start(ts: datetime, grain: Grain) -> datetime:
    """The first instant (UTC) of the day, ISO week, month or quarter holding `ts`."""
    day = _utc(ts).replace(hour=0, minute=0, second=0, microsecond=0)
    if grain == "week":
        return day - timedelta(days=day.weekday())
    if grain == "month":
        return day.replace(day=1)
    if grain == "quarter":
        return day.replace(day=1, month=(day.month - 1) // 3 * 3 + 1)
    return day


def frozen_json(data: Any) -> str:
    """JSON with ISO times, decimals as floats and NaN as null: what evidence keeps."""
    return json.dumps(data, default=_plain, sort_keys=True, allow_nan=False)


def measure(
    catalog: Catalog,
    backend: BaseBackend,
    request: MetricRequest,
    data_as_of: datetime,
    ingested_by: datetime | None = None,
) -> Measurement:
    """The request over periods that ended by `data_as_of`, on rows ingested by `ingested_by`.

    `ingested_by` defaults to `data_as_of`; a later one measures the same
    periods on the data as it is now. `value` is the metric in the last period
    when there is one row per period (no `by`, not a lens), else none. The SQL is compiled in
    DuckDB's dialect whatever the engine, so its hash names the request alone.
    """
    as_of = _utc(data_as_of)
    known = _utc(ingested_by or data_as_of)

    def table(name: str) -> ir.Table:
        t = backend.table(name)
        return t.filter(t.ingested_at <= ibis.timestamp(known))

    current = period_start(as_of, request.grain)
    until = current if request.until is None else min(_utc(request.until), current)
    expr = compile_metric(
        catalog,
        request.metric,
        table,
        by=request.by,
        grain=request.grain,
        where=request.where,
        since=request.since,
        until=until,
    )
    query = str(ibis.to_sql(expr, dialect="duckdb"))
    rows = [{k: _plain(v) for k, v in r.items()} for r in expr.to_pyarrow().to_pylist()]
    lens = catalog.metrics[request.metric].type == "lens"
    keys = list(expr.columns[:2]) if lens else ["period_start", *request.by]
    number = rows[-1]["value"] if rows and "value" in expr.columns and not request.by else None
    value = float(number) if number is not None else None
    hashed = hashlib.sha256(query.encode()).hexdigest()
    return Measurement(rows, keys, query, hashed, value)


_MIDNIGHT = re.compile(r"T00:00:00(\+00:00)?$")


def compare(then: list[dict[str, Any]], now: list[dict[str, Any]], keys: list[str]) -> list[str]:
    """The rows that differ, e.g. `2024-04-08: value 3 -> 5`, `2024-04-15: new row`."""

    def key(row: dict[str, Any]) -> str:
        return " ".join(_MIDNIGHT.sub("", str(row.get(k))) for k in keys)

    before = {key(r): r for r in then}
    after = {key(r): r for r in now}
    changes: list[str] = []
    for k in sorted(before.keys() | after.keys()):
        old, new = before.get(k), after.get(k)
        if old is None:
            changes.append(f"{k}: new row")
        elif new is None:
            changes.append(f"{k}: row gone")
        elif old != new:
            moved = [f"{c} {old.get(c)} -> {new.get(c)}" for c in new if old.get(c) != new.get(c)]
            changes.append(f"{k}: {', '.join(moved)}")
    return changes
