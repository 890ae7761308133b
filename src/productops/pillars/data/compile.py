"""Catalog metrics compiled to Ibis expressions, so they run on DuckDB or Spark.

`compile_metric` gives `period_start, *by, value` for every metric type but
`lens`, whose table has the lens's own columns (docs/catalog.md).

>>> catalog = load_catalog()  # doctest: +SKIP
>>> compile_metric(catalog, "dau", backend.table, grain="day").execute()  # doctest: +SKIP
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import ibis

from productops.durations import Grain, days_between, period
from productops.errors import UsageError
from productops.pillars.data import lenses
from productops.pillars.data.catalog import Catalog, Measure, Metric, SemanticModel
from productops.pillars.data.filters import Filter, parse_filters, predicate

if TYPE_CHECKING:
    import ibis.expr.types as ir

__all__ = ["TableSource", "compile_metric", "dimensions_of"]

TableSource = Callable[[str], "ir.Table"]
_STEP = {"day": {"days": 1}, "week": {"days": 7}, "month": {"months": 1}, "quarter": {"months": 3}}
_SHORTEST_DAYS = {"day": 1, "week": 7, "month": 28, "quarter": 90}
_LONGEST_DAYS = {"day": 1, "week": 7, "month": 31, "quarter": 92}


def dimensions_of(catalog: Catalog, metric: Metric) -> dict[str, str]:
    """The dimensions a metric can be grouped and filtered by: name -> categorical / numeric."""
    if metric.type in ("ratio", "derived"):
        shared: dict[str, str] | None = None
        for ref in metric.references():
            dims = dimensions_of(catalog, catalog.metrics[ref])
            shared = dims if shared is None else {k: v for k, v in shared.items() if k in dims}
        return shared or {}
    return catalog.model_of(metric).dimension_types()


def _frame(
    model: SemanticModel, table: TableSource, needed: set[str], time_dimension: str | None = None
) -> ir.Table:
    """The model's table with `_time` and a `d__NAME` column per needed dimension."""
    base = table(model.table)
    names = base.columns
    dims = [d for d in model.dimensions if d.name in needed]
    t = base
    for join in model.joins:
        if not any(d.join == join.name for d in dims):
            continue
        other = table(join.table)
        other = other.select(**{f"j__{join.name}__{c}": other[c] for c in other.columns})
        t = t.left_join(other, t[join.column] == other[f"j__{join.name}__{join.key}"])
    columns: dict[str, Any] = {}
    for d in dims:
        col = t[f"j__{d.join}__{d.column}"] if d.join else t[d.column]
        if d.json_key is not None:
            col = lenses.json_text(col, d.json_key)
        columns[f"d__{d.name}"] = col.cast("float64") if d.type == "numeric" else col
    tdim = next(
        (x for x in model.time_dimensions if x.name == time_dimension), model.time_dimension
    )
    return t.select(*[t[n] for n in names], _time=t[tdim.column], **columns)


def _filtered(t: ir.Table, filters: Sequence[Filter]) -> ir.Table:
    for flt in filters:
        t = t.filter(predicate(t[f"d__{flt.dimension}"], flt))
    return t


def _measure_value(t: ir.Table, measure: Measure) -> ir.Value:
    if measure.duration_days is not None:
        start, end = measure.duration_days
        return days_between(t[start], t[end])
    if measure.column is not None:
        return t[measure.column]
    return ibis.literal(1)


def _aggregate(col: ir.Column | None, agg: str, t: ir.Table) -> ir.Scalar:
    if agg == "count":
        return t.count() if col is None else col.count()
    assert col is not None, f"agg {agg} needs a column"
    quantiles = {"median": 0.5, "p85": 0.85, "p95": 0.95}
    if agg in quantiles:
        return col.quantile(quantiles[agg])
    method = {"count_distinct": "nunique", "avg": "mean"}.get(agg, agg)
    result: ir.Scalar = getattr(col, method)()
    return result


class _Compiler:
    def __init__(
        self,
        catalog: Catalog,
        table: TableSource,
        by: Sequence[str],
        grain: Grain,
        where: Sequence[str],
    ) -> None:
        self.catalog, self.table, self.by, self.grain, self.where = (
            catalog,
            table,
            list(by),
            grain,
            list(where),
        )

    def _prepared(self, metric: Metric, extra: Sequence[str] = ()) -> ir.Table:
        """The model frame of a simple, cumulative or lens metric, with every filter applied."""
        model = self.catalog.models[str(metric.model)]
        dims = model.dimension_types()
        for name in self.by:
            if name not in dims:
                raise UsageError(
                    f"--by {name}: {metric.name} has no dimension {name!r}; use one of: "
                    f"{', '.join(sorted(dims)) or 'none'}"
                )
        filters = parse_filters([*metric.filter, *extra, *self.where], dims)
        needed = {*self.by, *(f.dimension for f in filters)}
        return _filtered(_frame(model, self.table, needed), filters)

    def _keys(self, t: ir.Table) -> list[Any]:
        return [t[f"d__{name}"].name(name) for name in self.by]

    def compile(self, metric: Metric) -> ir.Table:
        result: ir.Table = getattr(self, f"_{metric.type}")(metric)
        return result

    def _measured(self, metric: Metric) -> tuple[ir.Table, Measure]:
        """The rows of a simple or cumulative metric that have a time: `*by, _m, _time`."""
        model = self.catalog.models[str(metric.model)]
        measure = model.measure(str(metric.measure))
        t = self._prepared(metric)
        t = t.filter(t._time.notnull())
        return t.select(*self._keys(t), _m=_measure_value(t, measure), _time=t._time), measure

    def _simple(self, metric: Metric) -> ir.Table:
        t, measure = self._measured(metric)
        value = _aggregate(t._m, measure.agg, t)
        return lenses.per_period(t, "_time", self.grain, self.by, value=value)

    def _cumulative(self, metric: Metric) -> ir.Table:
        t, measure = self._measured(metric)
        window = metric.window_days
        if window is not None and window <= _SHORTEST_DAYS[self.grain]:
            return self._own_period(t, measure, window)
        t = t.select(*self.by, "_m", _day=period(t._time, "day"))
        keys = ["_day", *self.by]
        agg = measure.agg
        if agg == "count_distinct":
            t = t.filter(t._m.notnull()).distinct()
        elif agg in ("count", "sum", "min", "max"):
            inner = {"count": "count", "sum": "sum", "min": "min", "max": "max"}[agg]
            col = t._m if measure.column or measure.duration_days else None
            t = t.group_by(keys).aggregate(_m=_aggregate(col, inner, t))
            agg = "sum" if agg == "count" else agg
        starts = t.select(period_start=period(t._day, self.grain)).distinct()
        periods = starts.mutate(_end=starts.period_start + ibis.interval(**_STEP[self.grain]))
        if metric.window_days is None:
            joined = periods.join(t, [t._day < periods._end])
        else:
            # A day counts towards the periods whose last day is one of the window_days days
            # from it on: an equi-join, where a range join would be slow on Spark.
            last = period(periods._end - ibis.interval(days=1), "day")
            periods = periods.mutate(_last=lenses.period_index(last, "day"))
            spread = t.mutate(_k=ibis.range(0, metric.window_days).unnest())
            spread = spread.mutate(_last=lenses.period_index(spread._day, "day") + spread._k)
            joined = periods.join(spread, "_last")
        return joined.group_by("period_start", *self.by).aggregate(
            value=_aggregate(joined._m, agg, joined)
        )

    def _own_period(self, t: ir.Table, measure: Measure, window: int) -> ir.Table:
        """A window no longer than the shortest period: each day counts towards its own
        period only, when it is one of the period's last `window` days."""
        if measure.agg == "count_distinct":
            t = t.filter(t._m.notnull())
        if window < _LONGEST_DAYS[self.grain]:
            later = lenses.period_index(t._time + ibis.interval(days=window), self.grain)
            t = t.filter(later > lenses.period_index(t._time, self.grain))
        return lenses.per_period(
            t, "_time", self.grain, self.by, value=_aggregate(t._m, measure.agg, t)
        )

    def _conversion(self, metric: Metric) -> ir.Table:
        model = self.catalog.models[str(metric.model)]
        entity = next(e for e in model.entities if e.name == metric.entity)
        base = self._prepared(metric, metric.base_filter)
        base = base.filter(base[entity.column].notnull() & base._time.notnull())
        first = ibis.window(group_by=base[entity.column], order_by=base._time)
        base = base.mutate(_rank=ibis.row_number().over(first))
        base = base.filter(base._rank == 0).select(
            *self._keys(base), _e=base[entity.column], _t0=base._time
        )
        dims = model.dimension_types()
        filters = parse_filters(metric.conversion_filter, dims)
        conv = _filtered(_frame(model, self.table, {f.dimension for f in filters}), filters)
        conv = conv.select(_c=conv[entity.column], _tc=conv._time)
        hits = base.join(
            conv,
            [
                base._e == conv._c,
                conv._tc >= base._t0,
                conv._tc <= base._t0 + ibis.interval(days=int(metric.window_days or 0)),
            ],
        )
        converted = hits.select(_hit=hits._e).distinct()
        marked = base.left_join(converted, base._e == converted._hit)
        marked = marked.mutate(period_start=period(marked._t0, self.grain))
        return marked.group_by("period_start", *self.by).aggregate(
            value=marked._hit.notnull().cast("int64").sum().cast("float64")
            / marked.count().cast("float64")
        )

    def _pivot(self, names: Sequence[str]) -> ir.Table:
        parts = []
        for name in names:
            part = self.compile(self.catalog.metrics[name])
            parts.append(
                part.select(
                    "period_start", *self.by, _metric=ibis.literal(name), value=part.value
                ).mutate(value=lambda p: p.value.cast("float64"))
            )
        stacked = parts[0].union(*parts[1:]) if len(parts) > 1 else parts[0]
        return stacked.group_by("period_start", *self.by).aggregate(
            **{
                f"m__{n}": stacked.value.max(where=stacked._metric == n)
                for n in dict.fromkeys(names)
            }
        )

    def _ratio(self, metric: Metric) -> ir.Table:
        num, den = str(metric.numerator), str(metric.denominator)
        t = self._pivot([num, den])
        t = t.filter(t[f"m__{den}"].notnull() & (t[f"m__{den}"] != 0))
        return t.select(
            "period_start",
            *self.by,
            value=t[f"m__{num}"].fill_null(0) / t[f"m__{den}"],
        )

    def _derived(self, metric: Metric) -> ir.Table:
        t = self._pivot(metric.references())

        def value(node: ast.AST) -> Any:
            if isinstance(node, ast.Expression):
                return value(node.body)
            if isinstance(node, ast.Name):  # no row for a metric in a period: 0
                return t[f"m__{node.id}"].fill_null(0)
            if isinstance(node, ast.Constant):
                return ibis.literal(float(node.value)).cast("float64")  # type: ignore[arg-type]
            if isinstance(node, ast.UnaryOp):
                return -value(node.operand)
            assert isinstance(node, ast.BinOp)
            left, right = value(node.left), value(node.right)
            if isinstance(node.op, ast.Add):
                return left + right
            if isinstance(node.op, ast.Sub):
                return left - right
            if isinstance(node.op, ast.Mult):
                return left * right
            return left / right.nullif(0)

        return t.select(
            "period_start", *self.by, value=value(ast.parse(str(metric.expr), mode="eval"))
        )

    def _lens(self, metric: Metric) -> ir.Table:
        if self.by:
            raise UsageError(
                f"--by: {metric.name} is a lens with its own columns; filter it with --where"
            )
        t = self._prepared(metric)
        event = t.select(*[c for c in t.columns if c != "_time" and not c.startswith("d__")])
        p = metric.params
        if metric.lens == "active_users":
            return lenses.active_users(event)
        if metric.lens == "retention":
            out = lenses.cohort_retention(event, self.grain, p.get("signup_event", "sign_up"))
            return out.rename(period_start="cohort_start")
        if metric.lens == "funnel":
            steps = [str(s) for s in p.get("steps", ["sign_up", "login", "feature_used"])]
            return lenses.funnel(event, steps, int(p.get("window_days", 7)), self.grain)
        if metric.lens == "adoption":
            return lenses.feature_adoption(
                event, self.grain, p.get("feature_event", "feature_used"), p.get("key", "feature")
            )
        return lenses.lifecycle(event, self.grain)


def compile_metric(
    catalog: Catalog,
    name: str,
    table: TableSource,
    *,
    by: Sequence[str] = (),
    grain: Grain = "week",
    where: Sequence[str] = (),
    since: datetime | None = None,
    until: datetime | None = None,
) -> ir.Table:
    """The Ibis expression of metric `name` per period (and `by` dimensions).

    `table` gives a canonical table by name (`backend.table`); `where` holds
    filters such as `segment in (smb, mid_market)` (see `filters`); `since` and
    `until` bound `period_start` (naive times are UTC). Raises `UsageError` for
    an unknown metric, dimension or filter.
    """
    metric = catalog.metric(name)
    dims = dimensions_of(catalog, metric)
    for dim in by:
        if dim not in dims:
            raise UsageError(
                f"--by {dim}: {name} has no dimension {dim!r}; use one of: "
                f"{', '.join(sorted(dims)) or 'none'}"
            )
    parse_filters(list(where), dims)
    expr = _Compiler(catalog, table, by, grain, where).compile(metric)
    key = "period_start"
    if since is not None:
        expr = expr.filter(expr[key] >= ibis.timestamp(_utc(since)))
    if until is not None:
        expr = expr.filter(expr[key] < ibis.timestamp(_utc(until)))
    order = [key, *by] if metric.type != "lens" else expr.columns[:2]
    return expr.order_by(order)


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
