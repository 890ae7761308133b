"""Data-quality metrics over stored results: discrepancies between sources per period, and
data incidents that touched a decision. Ibis expressions; units in docs/data-quality.md.

>>> source_discrepancies(backend.table("data_check_result"), "week")  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING

import ibis

from productops.durations import Grain, period
from productops.pillars.data.catalog import Catalog, Metric
from productops.pillars.data.lenses import json_text

if TYPE_CHECKING:
    import ibis.expr.types as ir

__all__ = ["incidents_touching_decisions", "metric_targets", "source_discrepancies"]


def _json_count(details: ir.StringValue, key: str) -> ir.IntegerValue:
    """A whole-number value of a top-level `key` in a JSON text column (null when absent)."""
    result: ir.IntegerValue = (
        details.re_extract('"' + key + r'"\s*:\s*([0-9]+)', 1).nullif("").cast("int64")
    )
    return result


def source_discrepancies(result: ir.Table, grain: Grain = "week") -> ir.Table:
    """Per period of the run: the reconciliations run, those failing, and their mismatching
    cells and keys (each reconciliation's last run in the period), with the change in
    mismatching cells from the period before (`cells_change`, null for the first).

    `result` is `data_check_result`; rows that are not reconciliations are left out.
    """
    r = result.mutate(
        period_start=period(result.run_at, grain),
        cells=_json_count(result.details, "mismatched_cells"),
        keys=_json_count(result.details, "mismatched_keys"),
    ).filter(ibis._.cells.notnull())
    r = r.mutate(last_run=r.run_at.max().over(group_by=[r.check_id, r.period_start]))
    last = r.filter(r.run_at == r.last_run)
    per = last.group_by("period_start").aggregate(
        checks=last.check_id.nunique(),
        failing_checks=(last.status != "pass").cast("int64").sum(),
        mismatched_cells=last.cells.sum(),
        mismatched_keys=last["keys"].sum(),
    )
    before = per.mismatched_cells.lag().over(order_by=per.period_start)
    return per.mutate(cells_change=per.mismatched_cells - before).order_by("period_start")


def _tables(catalog: Catalog, metric: Metric) -> set[str]:
    if metric.model is not None:
        model = catalog.models[metric.model]
        return {model.table, *(j.table for j in model.joins)}
    return set().union(*(_tables(catalog, catalog.metrics[r]) for r in metric.references()))


def metric_targets(catalog: Catalog) -> dict[str, list[str]]:
    """Per metric, the check targets that concern it: `metric:NAME` and the tables it reads."""
    return {
        name: [f"metric:{name}", *sorted(_tables(catalog, m))]
        for name, m in catalog.metrics.items()
    }


def incidents_touching_decisions(
    incident: ir.Table,
    evidence: ir.Table,
    decision: ir.Table,
    targets: Mapping[str, Iterable[str]],
    as_of: datetime,
    grain: Grain = "month",
) -> ir.Table:
    """Per team of the decision and period of the evidence's `captured_at`: `incidents` (data
    incidents open then, on a target the evidence's metric concerns), `decisions` and
    `evidence` entries they touched.

    An incident is open over [opened_at, resolved_at), or up to `as_of` while unresolved;
    `targets` maps each metric to its targets (`metric_targets(catalog)`); an incident's
    target may list several, comma-separated (a reconciliation's two sides).
    """
    pairs = [(m, t) for m, ts in targets.items() for t in ts]
    concern = ibis.memtable(
        {"c_metric": [m for m, _ in pairs], "c_target": [t for _, t in pairs]},
        schema={"c_metric": "string", "c_target": "string"},
    )
    ev = evidence.select(
        evidence_id=evidence.id,
        e_decision=evidence.decision_id,
        captured_at=evidence.captured_at,
        metric=json_text(evidence.spec, "metric"),
    ).filter(ibis._.captured_at.notnull())
    d = decision.select(d_id=decision.id, team_id=decision.team_id)
    ev = ev.join(d, ev.e_decision == d.d_id).join(concern, ev.metric == concern.c_metric)
    inc = incident.select(
        incident_id=incident.id,
        listed=ibis.literal(",") + incident.target + ibis.literal(","),
        opened_at=incident.opened_at,
        until=ibis.coalesce(incident.resolved_at, ibis.timestamp(as_of)),
    )
    hit = ev.join(
        inc,
        [
            inc.listed.contains(ibis.literal(",") + ev.c_target + ibis.literal(",")),
            inc.opened_at <= ev.captured_at,
            ev.captured_at < inc.until,
        ],
    )
    return (
        hit.group_by(team_id=hit.team_id, period_start=period(hit.captured_at, grain))
        .aggregate(
            incidents=hit.incident_id.nunique(),
            decisions=hit.e_decision.nunique(),
            evidence=hit.evidence_id.nunique(),
        )
        .order_by(["team_id", "period_start"])
    )
