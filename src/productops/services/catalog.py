"""The workspace's metric catalog: the built-in metrics and the workspace's own (docs/catalog.md);
list, search, show and query them, for the command line and the API alike."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

import ibis

from productops.durations import Grain
from productops.pillars.data import Catalog, compile_metric, dimensions_of, load_catalog
from productops.registry.lookup import pick
from productops.services.rows import typed

if TYPE_CHECKING:
    from productops.workspace import Workspace

__all__ = [
    "MetricFound",
    "MetricListed",
    "MetricRows",
    "MetricShown",
    "list_metrics",
    "metric_name",
    "query_metric",
    "search_metrics",
    "show_metric",
    "workspace_catalog",
]


@dataclass(frozen=True)
class MetricListed:
    """A metric of the catalog; `origin`: builtin or defined in the workspace."""

    name: str
    type: str
    unit: str
    direction: str
    status: str
    owner: str
    description: str
    origin: Literal["builtin", "workspace"]


@dataclass(frozen=True)
class MetricFound:
    """A metric matching a search, and how well (`score`: higher is better)."""

    score: int
    name: str
    type: str
    unit: str
    direction: str
    status: str
    owner: str
    description: str


@dataclass(frozen=True)
class MetricShown:
    """A metric's definition: where it is defined (`defined_in`, file:line), the dimensions it
    can be grouped by, the definition's own settings, and its compiled SQL per `grain`."""

    name: str
    description: str
    type: str
    unit: str
    direction: str
    status: str
    owner: str
    defined_in: str
    dimensions: str
    definition: dict[str, Any]
    sql: str


@dataclass(frozen=True)
class MetricRows:
    """A metric queried: its `rows` per period (and dimensions), with these `columns`."""

    metric: str
    unit: str
    columns: list[str]
    rows: list[dict[str, Any]]


def workspace_catalog(ws: Workspace) -> Catalog:
    """The built-in metrics plus the workspace's own `metrics/*.yml`."""
    return load_catalog([ws.root / "metrics"])


def metric_name(catalog: Catalog, given: str) -> str:
    """The metric `given` names: its name or a unique start of it (unknown: `NotFoundError`)."""
    return pick("metric", given, catalog.metrics, listing="productops metrics list")


def _listed(catalog: Catalog, name: str) -> dict[str, Any]:
    origin = "builtin" if catalog.origins[f"metric:{name}"].builtin else "workspace"
    return catalog.metrics[name].model_dump() | {"origin": origin}


def list_metrics(ws: Workspace, status: str | None = None) -> list[MetricListed]:
    """Every metric (with `status`: draft, certified, ...), by name."""
    catalog = workspace_catalog(ws)
    found = typed([_listed(catalog, n) for n in sorted(catalog.metrics)], MetricListed)
    return [m for m in found if status is None or m.status == status]


def search_metrics(ws: Workspace, text: str) -> list[MetricFound]:
    """Metrics whose name, owner or description match every word of `text`, best first."""
    catalog = workspace_catalog(ws)
    found = [{"score": score} | _listed(catalog, m.name) for score, m in catalog.search(text)]
    return typed(found, MetricFound)


def show_metric(ws: Workspace, metric: str, grain: Grain = "week") -> MetricShown:
    """Metric `metric`'s definition, dimensions, origin and SQL per `grain`."""
    catalog = workspace_catalog(ws)
    name = metric_name(catalog, metric)
    m = catalog.metrics[name]
    origin = catalog.origins[f"metric:{name}"]
    where = f"{'built-in ' + origin.path.name if origin.builtin else origin.path}:{origin.line}"
    if origin.overrides is not None:
        where += f" (overrides the definition in {origin.overrides})"
    sql = ibis.to_sql(compile_metric(catalog, name, ws.backend().table, grain=grain))
    return MetricShown(
        name=m.name,
        description=m.description,
        type=m.type,
        unit=m.unit,
        direction=m.direction,
        status=m.status,
        owner=m.owner,
        defined_in=where,
        dimensions=", ".join(sorted(dimensions_of(catalog, m))),
        definition=m.model_dump(exclude_defaults=True, exclude={"name", "description"}),
        sql=str(sql),
    )


def query_metric(
    ws: Workspace,
    metric: str,
    *,
    by: Sequence[str] = (),
    grain: Grain = "week",
    where: Sequence[str] = (),
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int | None = None,
) -> MetricRows:
    """Metric `metric` per `grain` period (and `by` dimensions), filtered by `where`
    (`plan != free`), over periods in [`since`, `until`); at most `limit` rows."""
    catalog = workspace_catalog(ws)
    name = metric_name(catalog, metric)
    expr = compile_metric(
        catalog, name, ws.backend().table, by=by, grain=grain, where=where, since=since, until=until
    )
    rows: list[dict[str, Any]] = (expr.limit(limit) if limit else expr).to_pyarrow().to_pylist()
    return MetricRows(name, catalog.metrics[name].unit, list(expr.columns), rows)
