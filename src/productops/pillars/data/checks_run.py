"""Running a declared check: each kind compiled to Ibis, giving a status, the observed
value, a one-line summary and details (failing keys, at most `SAMPLE` of them).

Definitions and units of each kind: docs/data-quality.md.

>>> run_check(declared.checks["work_item_team_exists"], backend.table, now).status  # doctest: +SKIP
'pass'
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import ibis
import pandas as pd

from productops.durations import Grain, period
from productops.pillars.data.catalog import Catalog
from productops.pillars.data.compile import TableSource, compile_metric
from productops.pillars.data.quality import Check
from productops.schema import TABLES

if TYPE_CHECKING:
    import ibis.expr.types as ir

__all__ = ["SAMPLE", "Outcome", "period_bounds", "run_check"]

SAMPLE = 20
_FREQ = {"day": "D", "week": "W-SUN", "month": "M", "quarter": "Q"}


@dataclass
class Outcome:
    """What one run of a check found. `status` is `pass`, or the check's severity on failure."""

    status: str
    observed: float | None
    summary: str
    details: dict[str, Any] = field(default_factory=dict)


def period_bounds(as_of: datetime, grain: Grain, back: int) -> list[datetime]:
    """Starts of the `back` full periods before the one holding `as_of`, oldest first, then
    the start of the one holding `as_of` (UTC).

    >>> [d.day for d in period_bounds(datetime(2026, 3, 4, 12, tzinfo=UTC), "day", 2)]
    [2, 3, 4]
    """
    now = pd.Timestamp(as_of).tz_convert(UTC).tz_localize(None).to_period(_FREQ[grain])
    return [(now - k).start_time.to_pydatetime().replace(tzinfo=UTC) for k in range(back, -1, -1)]


def _keys(t: ir.Table, table: str) -> ir.StringValue:
    """A row's primary key as text (`a|b` for a composite key)."""
    parts = [t[c].cast("string").fill_null("") for c in TABLES[table].key]
    result: ir.StringValue = parts[0] if len(parts) == 1 else ibis.literal("|").join(parts)
    return result


def _sample(values: ir.Column) -> list[Any]:
    return sorted(
        values.name("k").as_table().distinct().limit(SAMPLE).to_pyarrow()["k"].to_pylist()
    )


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _failing_rows(check: Check, bad: ir.Table, what: str) -> Outcome:
    count = int(bad.count().to_pyarrow().as_py())
    keys = _sample(_keys(bad, check.target)) if count else []
    status = "pass" if count == 0 else check.severity
    return Outcome(status, count, f"{count} rows {what}", {"failing_keys": keys})


def _freshness(check: Check, t: ir.Table, as_of: datetime) -> Outcome:
    col, limit = check.params["column"], float(check.params["max_age_hours"])
    newest = t[col].max().to_pyarrow().as_py()
    if newest is None:
        return Outcome(check.severity, None, f"no rows with {col}", {"max_age_hours": limit})
    age = (as_of - _utc(newest)).total_seconds() / 3600
    status = "pass" if age <= limit else check.severity
    details = {"newest": _utc(newest).isoformat(), "max_age_hours": limit}
    return Outcome(
        status, round(age, 3), f"newest {col} is {age:.1f} h old (max {limit:g})", details
    )


def _per_period(
    check: Check, table: TableSource, catalog: Catalog | None, grain: Grain, starts: list[datetime]
) -> dict[datetime, float]:
    """The count of rows (or the metric's value) per period from starts[0] up to starts[-1]."""
    lo, hi = starts[0], starts[-1]
    if check.metric is not None:
        if catalog is None:
            raise ValueError("a metric check needs the catalog")
        expr = compile_metric(catalog, check.metric, table, grain=grain, since=lo, until=hi)
        rows = expr.select("period_start", "value").to_pyarrow().to_pylist()
    else:
        t = table(check.target)
        ts = t[check.params["column"]]
        t = t.filter(ts >= lo, ts < hi)
        rows = (
            t.group_by(period_start=period(t[check.params["column"]], grain))
            .aggregate(value=ibis._.count())
            .to_pyarrow()
            .to_pylist()
        )
    return {_utc(r["period_start"]): float(r["value"] or 0) for r in rows}


def _volume(check: Check, table: TableSource, catalog: Catalog | None, as_of: datetime) -> Outcome:
    p = check.params
    grain: Grain = p.get("grain", "day")
    n = int(p.get("periods", 7))
    starts = period_bounds(as_of, grain, n + 1)
    values = _per_period(check, table, catalog, grain, starts)
    observed = values.get(starts[-2], 0.0)
    baseline = [values.get(s, 0.0) for s in starts[:-2]]
    mean, sd = statistics.fmean(baseline), statistics.stdev(baseline)
    details: dict[str, Any] = {"period_start": starts[-2].isoformat(), "baseline_mean": mean}
    if "max_relative" in p:
        limit = float(p["max_relative"])
        off = abs(observed - mean) / mean if mean else (0.0 if observed == 0 else math.inf)
        details.update(baseline_sd=sd, relative_deviation=off, max_relative=limit)
        text = (
            f"{observed:g} in {grain} of {starts[-2]:%Y-%m-%d}, {off:.0%} off a mean of {mean:.1f}"
        )
    else:
        limit = float(p.get("max_z", 3.0))
        off = abs(observed - mean) / sd if sd else (0.0 if observed == mean else math.inf)
        details.update(baseline_sd=sd, z=off, max_z=limit)
        text = f"{observed:g} in {grain} of {starts[-2]:%Y-%m-%d}, z = {off:.1f} over {n} periods"
    details = {
        k: (None if isinstance(v, float) and math.isinf(v) else v) for k, v in details.items()
    }
    return Outcome("pass" if off <= limit else check.severity, observed, text, details)


def _schema(check: Check, t: ir.Table, previous: dict[str, Any] | None) -> Outcome:
    now = {name: str(dtype) for name, dtype in t.schema().items()}
    seen = (previous or {}).get("schema")
    if not isinstance(seen, dict):
        return Outcome("pass", 0, f"{len(now)} columns recorded as the baseline", {"schema": now})
    added = sorted(set(now) - set(seen))
    removed = sorted(set(seen) - set(now))
    changed = sorted(c for c in set(now) & set(seen) if now[c] != seen[c])
    count = len(added) + len(removed) + len(changed)
    parts = [
        f"{label} {', '.join(cols)}"
        for label, cols in (("added", added), ("removed", removed), ("retyped", changed))
        if cols
    ]
    details = {"schema": now, "added": added, "removed": removed, "changed": changed}
    summary = "; ".join(parts) or "same columns and types as last seen"
    return Outcome("pass" if count == 0 else check.severity, count, summary, details)


def _unique(check: Check, t: ir.Table) -> Outcome:
    cols = list(check.params["columns"])
    t = t.filter(*[t[c].notnull() for c in cols])
    dup = t.group_by(cols).aggregate(rows=ibis._.count()).filter(ibis._.rows > 1)
    count = int(dup.count().to_pyarrow().as_py())
    value = (
        dup[cols[0]].cast("string")
        if len(cols) == 1
        else ibis.literal("|").join([dup[c].cast("string") for c in cols])
    )
    keys = _sample(value) if count else []
    status = "pass" if count == 0 else check.severity
    return Outcome(
        status, count, f"{count} values of {', '.join(cols)} repeated", {"failing_keys": keys}
    )


def _range_of_metric(check: Check, table: TableSource, catalog: Catalog | None) -> Outcome:
    if catalog is None:
        raise ValueError("a metric check needs the catalog")
    p = check.params
    expr = compile_metric(catalog, str(check.metric), table, grain=p.get("grain", "month"))
    bad = expr.filter(_outside(expr.value, p))
    count = int(bad.count().to_pyarrow().as_py())
    keys = _sample(bad.period_start.strftime("%Y-%m-%d")) if count else []
    status = "pass" if count == 0 else check.severity
    return Outcome(status, count, f"{count} periods out of range", {"failing_keys": keys})


def _outside(value: ir.NumericValue, p: dict[str, Any]) -> ir.BooleanValue:
    result: ir.BooleanValue = ibis.literal(False)
    if "min" in p:
        result = result | (value < p["min"])
    if "max" in p:
        result = result | (value > p["max"])
    return result


def run_check(
    check: Check,
    table: TableSource,
    as_of: datetime,
    *,
    catalog: Catalog | None = None,
    previous: dict[str, Any] | None = None,
) -> Outcome:
    """Run `check` over the tables `table` gives (`backend.table`) as of `as_of` (UTC).

    `previous` is the details of the check's last result (schema drift compares with it);
    metric targets need the `catalog`.
    """
    p, kind = check.params, check.kind
    if kind == "volume":
        return _volume(check, table, catalog, as_of)
    if kind == "range" and check.metric is not None:
        return _range_of_metric(check, table, catalog)
    t = table(check.target)
    if kind == "freshness":
        return _freshness(check, t, as_of)
    if kind == "schema":
        return _schema(check, t, previous)
    if kind == "unique":
        return _unique(check, t)
    if kind == "not_null":
        return _failing_rows(check, t.filter(t[p["column"]].isnull()), f"with no {p['column']}")
    if kind == "accepted_values":
        col = t[p["column"]]
        bad = t.filter(col.notnull() & ~col.isin(list(p["values"])))
        return _failing_rows(check, bad, f"with {p['column']} not in the accepted values")
    if kind == "paired":
        among = t[p["column"]].isin(list(p["values"])).fill_null(False)
        bad = t.filter(among != t[p["present"]].notnull())
        return _failing_rows(check, bad, f"whose {p['column']} and {p['present']} disagree")
    if kind == "range":
        bad = t.filter(t[p["column"]].notnull() & _outside(t[p["column"]], p))
        return _failing_rows(check, bad, f"with {p['column']} out of range")
    parent = table(p["to"])
    known = parent.select(_to=parent[p.get("to_column", "id")]).distinct()
    child = t.filter(t[p["column"]].notnull())
    bad = child.anti_join(known, child[p["column"]] == known._to)
    return _failing_rows(check, bad, f"whose {p['column']} is not in {p['to']}")
