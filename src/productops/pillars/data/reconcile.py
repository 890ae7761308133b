"""Cross-source reconciliation: the same measure on two sources, compared per period and
segment (cells) and, when both sides name a key, per key, with a tolerance.

`reconciliation_keys` and `reconciliation_cells` are Ibis expressions (DuckDB or Spark);
`reconcile` runs both and gives an `Outcome`. Units: docs/data-quality.md.

>>> reconcile(declared.reconciliations["crm_vs_billing_arr"], backend.table).summary  # doctest: +SKIP
'5 of 612 keys and 1 of 3 cells differ'
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import ibis

from productops.durations import period
from productops.pillars.data.catalog import Catalog
from productops.pillars.data.checks_run import SAMPLE, Outcome
from productops.pillars.data.compile import TableSource, compile_metric
from productops.pillars.data.filters import parse_filters, predicate
from productops.pillars.data.quality import Reconciliation, Side, Tolerance, column_dimensions

if TYPE_CHECKING:
    import ibis.expr.types as ir

__all__ = ["reconcile", "reconciliation_cells", "reconciliation_keys"]

NO_SEGMENT = "(none)"
ALL = "all"
_OPS: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}


def _arith(node: ast.AST, t: ir.Table) -> Any:
    """An arithmetic expression over column names (checked by `derived_names`) as Ibis."""
    if isinstance(node, ast.Expression):
        return _arith(node.body, t)
    if isinstance(node, ast.BinOp):
        return _OPS[type(node.op)](_arith(node.left, t), _arith(node.right, t))
    if isinstance(node, ast.UnaryOp):
        return -_arith(node.operand, t)
    if isinstance(node, ast.Name):
        return t[node.id].cast("float64")
    return ibis.literal(float(node.value))  # type: ignore[attr-defined]


def _side(side: Side, rec: Reconciliation, table: TableSource, catalog: Catalog | None) -> ir.Table:
    """One side as `key` (when keyed), `period`, `segment` (text) and `value` (summed)."""
    if side.metric is not None:
        if catalog is None:
            raise ValueError("a metric side needs the catalog")
        by = [side.segment] if side.segment else []
        m = compile_metric(
            catalog, side.metric, table, by=by, grain=rec.grain or "month", where=side.where
        )
        segment = m[side.segment].cast("string") if side.segment else ibis.literal(NO_SEGMENT)
        return m.select(
            period=m.period_start.strftime("%Y-%m-%d"),
            segment=segment.fill_null(NO_SEGMENT),
            value=m.value.cast("float64"),
        )
    t = table(str(side.table))
    for flt in parse_filters(side.where, column_dimensions(str(side.table))):
        t = t.filter(predicate(t[flt.dimension], flt))
    value = _arith(ast.parse(side.value, mode="eval"), t) if side.value else ibis.literal(1.0)
    rows = t.select(
        key=t[side.key].cast("string") if side.key else ibis.literal(""),
        period=period(t[side.time], rec.grain).strftime("%Y-%m-%d")
        if side.time and rec.grain
        else ibis.literal(ALL),
        segment=t[side.segment].cast("string") if side.segment else ibis.null("string"),
        value=value.fill_null(0.0),
    )
    if side.key is None:
        rows = rows.mutate(segment=rows.segment.fill_null(NO_SEGMENT))
        return rows.group_by(["period", "segment"]).aggregate(value=rows.value.sum())
    return rows.group_by(["key", "period"]).aggregate(
        segment=rows.segment.max(), value=rows.value.sum()
    )


def _differ(left: ir.NumericValue, right: ir.NumericValue, tol: Tolerance) -> ir.BooleanValue:
    """Whether two values differ beyond the tolerance; a missing side always differs."""
    gap = (left - right).abs()
    larger = ibis.greatest(left.abs(), right.abs())
    within = (gap <= tol.absolute) | (gap <= larger * tol.relative)
    result: ir.BooleanValue = left.isnull() | right.isnull() | ~within
    return result


def _outer(left: ir.Table, right: ir.Table, on: list[str]) -> ir.Table:
    l_ = left.rename({f"l_{c}": c for c in left.columns})
    r_ = right.rename({f"r_{c}": c for c in right.columns})
    joined = l_.outer_join(r_, [l_[f"l_{c}"] == r_[f"r_{c}"] for c in on])
    cols = {c: ibis.coalesce(joined[f"l_{c}"], joined[f"r_{c}"]) for c in on}
    return joined.select(
        **cols,
        l_segment=joined.l_segment,
        r_segment=joined.r_segment,
        left=joined.l_value,
        right=joined.r_value,
    )


def reconciliation_keys(
    rec: Reconciliation, table: TableSource, catalog: Catalog | None = None
) -> ir.Table:
    """Per key and period: `key, period, segment, left, right, issue, mismatch`.

    `issue` is `left_only`, `right_only`, `different` (beyond the tolerance) or `same`.
    Needs a key on both sides.
    """
    if rec.left.key is None:
        raise ValueError(f"{rec.id}: a reconciliation without keys has no key drill-down")
    j = _outer(
        _side(rec.left, rec, table, catalog),
        _side(rec.right, rec, table, catalog),
        ["key", "period"],
    )
    differ = _differ(j.left, j.right, rec.tolerance)
    issue = ibis.cases(
        (j.right.isnull(), "left_only"),
        (j.left.isnull(), "right_only"),
        (differ, "different"),
        else_="same",
    )
    segment = ibis.coalesce(j.l_segment, j.r_segment, ibis.literal(NO_SEGMENT))
    return j.select(
        "key", "period", segment=segment, left="left", right="right", issue=issue, mismatch=differ
    )


def reconciliation_cells(
    rec: Reconciliation, table: TableSource, catalog: Catalog | None = None
) -> ir.Table:
    """Per period and segment: `period, segment, left, right, keys, mismatched_keys, mismatch`.

    Keyed: totals over the keys (a key counts in the segment either side gives it);
    `keys` and `mismatched_keys` are 0 without keys.
    """
    if rec.left.key is not None:
        k = reconciliation_keys(rec, table, catalog)
        cells = k.group_by(["period", "segment"]).aggregate(
            left=k.left.sum(),
            right=k.right.sum(),
            keys=k.count(),
            mismatched_keys=k.mismatch.cast("int64").sum(),
        )
    else:
        j = _outer(
            _side(rec.left, rec, table, catalog),
            _side(rec.right, rec, table, catalog),
            ["period", "segment"],
        )
        cells = j.select(
            "period",
            "segment",
            "left",
            "right",
            keys=ibis.literal(0),
            mismatched_keys=ibis.literal(0),
        )
    return cells.mutate(mismatch=_differ(cells.left, cells.right, rec.tolerance))


def _rows(expr: ir.Table) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = expr.to_pyarrow().to_pylist()
    return rows


def reconcile(rec: Reconciliation, table: TableSource, catalog: Catalog | None = None) -> Outcome:
    """Run a reconciliation: observed is the number of mismatching period x segment cells."""
    cells = reconciliation_cells(rec, table, catalog)
    totals = _rows(
        cells.aggregate(
            cells=cells.count(),
            mismatched_cells=cells.mismatch.cast("int64").sum(),
            keys=cells["keys"].sum(),
            mismatched_keys=cells.mismatched_keys.sum(),
        )
    )[0]
    totals = {k: int(v or 0) for k, v in totals.items()}
    bad_cells = cells.filter(cells.mismatch).order_by(["period", "segment"]).limit(SAMPLE)
    details: dict[str, Any] = {
        **totals,
        "cell_sample": _rows(bad_cells.select("period", "segment", "left", "right")),
        "failing_keys": [],
    }
    if rec.left.key is not None and totals["mismatched_keys"]:
        k = reconciliation_keys(rec, table, catalog)
        bad = k.filter(k.mismatch).order_by(["key", "period"]).limit(SAMPLE)
        details["key_sample"] = _rows(bad.drop("mismatch"))
        details["failing_keys"] = [r["key"] for r in details["key_sample"]]
    failed = totals["mismatched_cells"] or totals["mismatched_keys"]
    summary = f"{totals['mismatched_cells']} of {totals['cells']} cells differ"
    if rec.left.key is not None:
        summary = f"{totals['mismatched_keys']} of {totals['keys']} keys and " + summary
    return Outcome(rec.severity if failed else "pass", totals["mismatched_cells"], summary, details)
