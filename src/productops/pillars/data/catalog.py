"""The metric catalog: semantic models and metrics defined in YAML, validated with line numbers.

A catalog file holds `semantic_models:` and/or `metrics:` (format: docs/catalog.md).
Built-in files ship in `productops/pillars/data/metrics/`; a workspace's own
`metrics/*.yml` are read after them, and a workspace metric or model with a
built-in's name overrides it.

>>> catalog = load_catalog([Path("acme/metrics")])  # doctest: +SKIP
>>> catalog.metrics["dau"].unit  # doctest: +SKIP
'users'
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from productops.errors import ConfigError, UsageError
from productops.pillars.data.yamlfile import item_line, read_yaml
from productops.schema import TABLES

__all__ = [
    "BUILTIN_DIR",
    "Catalog",
    "Dimension",
    "Measure",
    "Metric",
    "SemanticModel",
    "load_catalog",
]

BUILTIN_DIR = Path(__file__).parent / "metrics"
NAME = r"^[a-z][a-z0-9_]*$"
LENSES = ("active_users", "retention", "funnel", "adoption", "lifecycle")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Entity(_Strict):
    """A key of the model: `primary` (the row), `foreign` (another table's) or `unique`."""

    name: str = Field(pattern=NAME)
    type: Literal["primary", "foreign", "unique"]
    column: str


class Join(_Strict):
    """A many-to-one join: `column` of the model's table equals `key` of `table`."""

    name: str = Field(pattern=NAME)
    table: str
    column: str
    key: str = "id"


class Dimension(_Strict):
    """A column to group or filter by: of the table, of a join, or a key inside a JSON column."""

    name: str = Field(pattern=NAME)
    column: str
    type: Literal["categorical", "numeric"] = "categorical"
    join: str | None = None
    json_key: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_]+$")
    description: str = ""


class TimeDimension(_Strict):
    name: str = Field(pattern=NAME)
    column: str


class Measure(_Strict):
    """An aggregation: of a column, or of the days between two time columns (`duration_days`)."""

    name: str = Field(pattern=NAME)
    agg: Literal["count", "count_distinct", "sum", "avg", "min", "max", "median", "p85", "p95"]
    column: str | None = None
    duration_days: tuple[str, str] | None = None

    @model_validator(mode="after")
    def _needs_column(self) -> Measure:
        if self.agg != "count" and self.column is None and self.duration_days is None:
            raise ValueError(f"agg {self.agg} needs a column or duration_days")
        return self


class SemanticModel(_Strict):
    """A canonical table with its entities, joins, dimensions, time dimensions and measures."""

    name: str = Field(pattern=NAME)
    table: str
    description: str = ""
    entities: list[Entity] = []
    joins: list[Join] = []
    dimensions: list[Dimension] = []
    time_dimensions: list[TimeDimension] = Field(min_length=1)
    default_time_dimension: str | None = None
    measures: list[Measure] = []

    def dimension_types(self) -> dict[str, str]:
        return {d.name: d.type for d in self.dimensions}

    def measure(self, name: str) -> Measure:
        return next(m for m in self.measures if m.name == name)

    @property
    def time_dimension(self) -> TimeDimension:
        name = self.default_time_dimension or self.time_dimensions[0].name
        return next(t for t in self.time_dimensions if t.name == name)


class Metric(_Strict):
    """A governed metric: how it is computed plus who owns it and how to read it."""

    name: str = Field(pattern=NAME)
    type: Literal["simple", "ratio", "cumulative", "derived", "conversion", "lens"]
    description: str
    owner: str
    unit: str
    direction: Literal["higher", "lower"]
    status: Literal["draft", "certified", "deprecated"] = "draft"
    model: str | None = None
    measure: str | None = None
    filter: list[str] = []
    numerator: str | None = None
    denominator: str | None = None
    window_days: int | None = Field(default=None, gt=0)
    expr: str | None = None
    entity: str | None = None
    base_filter: list[str] = []
    conversion_filter: list[str] = []
    lens: Literal["active_users", "retention", "funnel", "adoption", "lifecycle"] | None = None
    params: dict[str, Any] = {}

    @model_validator(mode="after")
    def _fields_of_type(self) -> Metric:
        need = {
            "simple": ("model", "measure"),
            "ratio": ("numerator", "denominator"),
            "cumulative": ("model", "measure"),
            "derived": ("expr",),
            "conversion": ("model", "entity", "window_days"),
            "lens": ("lens", "model"),
        }[self.type]
        missing = [f for f in need if getattr(self, f) is None]
        if missing:
            raise ValueError(f"a {self.type} metric needs {', '.join(missing)}")
        if self.type == "conversion" and not (self.base_filter and self.conversion_filter):
            raise ValueError("a conversion metric needs base_filter and conversion_filter")
        if self.expr is not None:
            derived_names(self.expr)
        return self

    def references(self) -> list[str]:
        """The metrics this one is computed from."""
        if self.type == "ratio":
            return [str(self.numerator), str(self.denominator)]
        if self.type == "derived":
            return derived_names(str(self.expr))
        return []


class CatalogFile(_Strict):
    semantic_models: list[SemanticModel] = []
    metrics: list[Metric] = []


_ALLOWED_NODES = (
    ast.Expression,
    ast.BinOp,
    ast.UnaryOp,
    ast.Add,
    ast.Sub,
    ast.Mult,
    ast.Div,
    ast.USub,
    ast.Name,
    ast.Load,
    ast.Constant,
)


def derived_names(expr: str) -> list[str]:
    """The metric names in a derived metric's arithmetic (`+ - * /`, numbers, parentheses)."""
    try:
        tree = ast.parse(expr, mode="eval")
    except SyntaxError as exc:
        raise ValueError(f"expr {expr!r} is not arithmetic over metric names") from exc
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED_NODES) or (
            isinstance(node, ast.Constant) and not isinstance(node.value, int | float)
        ):
            raise ValueError(f"expr {expr!r}: only metric names, numbers, + - * / and ( )")
    return list(dict.fromkeys(n.id for n in ast.walk(tree) if isinstance(n, ast.Name)))


@dataclass
class Origin:
    """Where a definition came from: its file and line, and what it overrides."""

    path: Path
    line: int
    builtin: bool
    overrides: Path | None = None


@dataclass
class Catalog:
    """Every semantic model and metric, with where each was defined."""

    models: dict[str, SemanticModel] = field(default_factory=dict)
    metrics: dict[str, Metric] = field(default_factory=dict)
    origins: dict[str, Origin] = field(default_factory=dict)  # "metric:NAME" / "model:NAME"

    def metric(self, name: str) -> Metric:
        """The metric `name`, or a `UsageError` listing the close names."""
        if name not in self.metrics:
            close = [m for m in sorted(self.metrics) if name in m or m in name] or sorted(
                self.metrics
            )[:10]
            raise UsageError(
                f"no metric {name!r} in the catalog; try `productops metrics search {name}` "
                f"or one of: {', '.join(close)}"
            )
        return self.metrics[name]

    def model_of(self, metric: Metric) -> SemanticModel:
        """The semantic model a metric reads (for ratio and derived: the first one referenced)."""
        if metric.model is not None:
            return self.models[metric.model]
        return self.model_of(self.metrics[metric.references()[0]])

    def search(self, text: str) -> list[tuple[int, Metric]]:
        """Metrics matching every word of `text`, best first (name > owner > description)."""
        words = [w for w in re.split(r"\W+", text.lower()) if w]
        found = []
        for metric in self.metrics.values():
            score = 0
            for word in words:
                hit = 0
                if word == metric.name or word in metric.name.split("_"):
                    hit = 10
                elif word in metric.name:
                    hit = 6
                elif word in metric.owner.lower():
                    hit = 4
                elif word in metric.description.lower() or word in metric.unit.lower():
                    hit = 2
                if not hit:
                    break
                score += hit
            else:
                if words:
                    found.append((score - (1 if metric.status == "deprecated" else 0), metric))
        return sorted(found, key=lambda s: (-s[0], s[1].name))


# -- loading ------------------------------------------------------------------------------------


def _check(catalog: Catalog) -> None:
    """Cross-references: tables, columns, models, measures, metrics and filters exist."""
    from productops.pillars.data.filters import parse_filters

    def fail(key: str, field_name: str, msg: str) -> ConfigError:
        origin = catalog.origins[key]
        return ConfigError(f"{origin.path}:{origin.line}: {field_name}: {msg}")

    for name, model in catalog.models.items():
        key = f"model:{name}"
        if model.table not in TABLES:
            raise fail(key, "table", f"no canonical table {model.table!r}")
        columns = {c.name for c in TABLES[model.table].columns}
        joins = {j.name: j for j in model.joins}
        for j in model.joins:
            if j.table not in TABLES or j.column not in columns:
                raise fail(key, f"joins.{j.name}", f"cannot join {j.column} to {j.table}.{j.key}")
        for d in model.dimensions:
            if d.join is not None and d.join not in joins:
                raise fail(key, f"dimensions.{d.name}.join", f"no join {d.join!r} in the model")
            table = TABLES[joins[d.join].table] if d.join else TABLES[model.table]
            if d.column not in {c.name for c in table.columns}:
                raise fail(key, f"dimensions.{d.name}.column", f"no column {d.column!r}")
        used = [t.column for t in model.time_dimensions] + [e.column for e in model.entities]
        used += [m.column for m in model.measures if m.column] + [
            c for m in model.measures for c in (m.duration_days or ())
        ]
        for column in used:
            if column not in columns:
                raise fail(key, "column", f"{model.table} has no column {column!r}")
        if model.default_time_dimension and model.default_time_dimension not in {
            t.name for t in model.time_dimensions
        }:
            raise fail(key, "default_time_dimension", "not one of the time_dimensions")
    for name, metric in catalog.metrics.items():
        key = f"metric:{name}"
        if metric.model is not None:
            if metric.model not in catalog.models:
                raise fail(key, "model", f"no semantic model {metric.model!r}")
            model = catalog.models[metric.model]
            if metric.measure is not None and metric.measure not in {
                m.name for m in model.measures
            }:
                raise fail(key, "measure", f"model {model.name} has no measure {metric.measure!r}")
            if metric.entity is not None and metric.entity not in {e.name for e in model.entities}:
                raise fail(key, "entity", f"model {model.name} has no entity {metric.entity!r}")
            dims = model.dimension_types()
            for field_name in ("filter", "base_filter", "conversion_filter"):
                try:
                    parse_filters(getattr(metric, field_name), dims)
                except ValueError as exc:
                    raise fail(key, field_name, str(exc)) from exc
        for ref in metric.references():
            if ref not in catalog.metrics:
                raise fail(
                    key, "expr" if metric.type == "derived" else "numerator", f"no metric {ref!r}"
                )
    _check_cycles(catalog)


def _check_cycles(catalog: Catalog) -> None:
    def visit(name: str, path: tuple[str, ...]) -> None:
        if name in path:
            origin = catalog.origins[f"metric:{name}"]
            raise ConfigError(
                f"{origin.path}:{origin.line}: metric {name} depends on itself: "
                + " -> ".join((*path, name))
            )
        for ref in catalog.metrics[name].references():
            visit(ref, (*path, name))

    for name in catalog.metrics:
        visit(name, ())


def load_catalog(folders: Iterable[Path] = (), *, builtins: bool = True) -> Catalog:
    """Read the built-in definitions, then every `*.yml`/`*.yaml` in `folders` (later ones win).

    Raises `ConfigError` naming the file, line and field of the first bad definition.
    """
    catalog = Catalog()
    sources = [(BUILTIN_DIR, True)] if builtins else []
    sources += [(Path(f), False) for f in folders]
    for folder, builtin in sources:
        if not folder.is_dir():
            continue
        files = sorted([*folder.glob("*.yml"), *folder.glob("*.yaml")])
        for path in files:
            parsed, root = read_yaml(path, CatalogFile, "docs/catalog.md")
            sections: list[tuple[str, Sequence[SemanticModel | Metric]]] = [
                ("semantic_models", parsed.semantic_models),
                ("metrics", parsed.metrics),
            ]
            for section, items in sections:
                for i, item in enumerate(items):
                    kind = "model" if section == "semantic_models" else "metric"
                    key = f"{kind}:{item.name}"
                    line = item_line(root, section, i)
                    before = catalog.origins.get(key)
                    if before is not None and before.path == path:
                        raise ConfigError(
                            f"{path}:{line}: name: {kind} {item.name} is defined twice"
                        )
                    origin = Origin(path, line, builtin)
                    if before is not None:
                        origin.overrides = before.path
                    catalog.origins[key] = origin
                    if isinstance(item, SemanticModel):
                        catalog.models[item.name] = item
                    elif isinstance(item, Metric):
                        catalog.metrics[item.name] = item
    _check(catalog)
    return catalog
