"""Data evidence at a glance (the web app's data pages): the metric catalog with search,
a metric's definition, dimensions, SQL and values over time; data checks and incidents
with the keys that differ; the decision log with its frozen evidence and its verification."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from productops.errors import NotFoundError
from productops.pillars.data import compile_metric, dimensions_of
from productops.registry.checks import check_history, last_details, list_incidents
from productops.registry.decisions import evidence_of, load_decision, verify_evidence
from productops.services import compiled
from productops.services.catalog import workspace_catalog

if TYPE_CHECKING:
    from productops.durations import Grain
    from productops.workspace import Workspace

__all__ = [
    "CatalogEntry",
    "Check",
    "MetricView",
    "checks",
    "decision_record",
    "metric_view",
    "search_metrics",
    "verify",
]


@dataclass(frozen=True)
class CatalogEntry:
    """A metric of the catalog; `score` how well it matched a search (None: no search)."""

    name: str
    type: str
    unit: str
    direction: str
    status: str
    owner: str
    description: str
    score: int | None


@dataclass(frozen=True)
class MetricView:
    """A metric: its definition, where it is defined, the dimensions to slice by, its SQL and
    its value per period (`series`, oldest first)."""

    entry: CatalogEntry
    defined_in: str
    definition: dict[str, Any]
    dimensions: dict[str, str]
    sql: str
    series: list[dict[str, Any]]


@dataclass(frozen=True)
class Check:
    """A data check's latest result, and for a failing one the keys that differ (a sample)."""

    id: str
    kind: str
    target: str
    run_at: datetime | None
    status: str
    observed: float | None
    summary: str
    failing_keys: list[str]
    key_sample: list[dict[str, Any]]


def _entry(metric: Any, score: int | None = None) -> CatalogEntry:
    return CatalogEntry(
        metric.name,
        metric.type,
        metric.unit,
        metric.direction,
        metric.status,
        metric.owner,
        metric.description,
        score,
    )


def search_metrics(ws: Workspace, text: str = "") -> list[CatalogEntry]:
    """Metrics whose name, owner or description match every word of `text`, best first; every
    metric by name without a text."""
    catalog = workspace_catalog(ws)
    if not text.strip():
        return [_entry(catalog.metrics[n]) for n in sorted(catalog.metrics)]
    return [_entry(m, score) for score, m in catalog.search(text)]


def metric_view(ws: Workspace, name: str, grain: Grain) -> MetricView:
    """Metric `name`'s page: its definition and its value per period of `grain`."""
    catalog = workspace_catalog(ws)
    if name not in catalog.metrics:
        raise NotFoundError(f"metric {name!r}: not in the catalog (`productops metrics list`)")
    m = catalog.metrics[name]
    origin = catalog.origins[f"metric:{name}"]
    where = f"{'built-in ' + origin.path.name if origin.builtin else origin.path}:{origin.line}"
    definition = m.model_dump(exclude_defaults=True, exclude={"name", "description"})
    key = hashlib.sha256(json.dumps([name, grain, definition], sort_keys=True).encode()).hexdigest()

    def build(table: Any) -> Any:
        return compile_metric(catalog, name, table, grain=grain)

    # what any metric of the catalog reads (a lens reads events and accounts)
    tables = {m.table for m in catalog.models.values()} | {"event", "account"}
    tables |= {j.table for m in catalog.models.values() for j in m.joins}
    series = compiled.kept(
        ws, f"metric:{key}", sorted(tables), lambda: compiled.rows(ws, f"metric:{key}", build)
    )
    sql = compiled.sql(ws, f"metric:{key}", build)
    return MetricView(
        _entry(m),
        where,
        definition,
        dimensions_of(catalog, m),
        sql,
        sorted(series, key=lambda r: r.get("period_start") or datetime.min.replace(tzinfo=UTC)),
    )


def checks(ws: Workspace) -> tuple[list[Check], list[dict[str, Any]]]:
    """Each data check's latest result (failing first) and every data incident (open first)."""
    latest: dict[str, dict[str, Any]] = {}
    for row in check_history(ws.store, limit=1000):
        latest.setdefault(row["id"], row)
    found = []
    for row in latest.values():
        details = last_details(ws.store, row["id"]) if row["status"] != "pass" else None
        details = details or {}
        found.append(
            Check(
                row["id"],
                row["kind"],
                row["target"],
                row["run_at"],
                row["status"],
                row["observed"],
                row["summary"],
                list(details.get("failing_keys", [])),
                list(details.get("key_sample", [])),
            )
        )
    found.sort(key=lambda c: (c.status == "pass", c.id))
    return found, list_incidents(ws.store)


def decision_record(ws: Workspace, ref: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A decision and its frozen evidence."""
    found = load_decision(ws.store, ref)
    return found, evidence_of(ws.store, found["id"])


def verify(ws: Workspace, ref: str, as_of: datetime) -> list[dict[str, Any]]:
    """Each frozen piece of a decision's evidence re-run: as of its time and on today's data."""
    return verify_evidence(ws.store, ws.store.ibis(), workspace_catalog(ws), ref, as_of)
