"""Data-quality checks and cross-source reconciliations, declared in YAML and validated.

A checks file holds `checks:` and/or `reconciliations:` (format: docs/data-quality.md).
Built-in checks over canonical tables ship in `productops/pillars/data/checks/`; a
workspace's `checks/*.yml` are read after them, and one with a built-in's id replaces it.
Running them: `checks_run.run_check` and `reconcile.reconcile`.

>>> declared = load_checks([Path("acme/checks")])  # doctest: +SKIP
>>> declared.checks["account_arr_not_negative"].kind  # doctest: +SKIP
'range'
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

from productops.durations import Grain
from productops.errors import ConfigError
from productops.pillars.data.catalog import Catalog, derived_names
from productops.pillars.data.filters import parse_filters
from productops.pillars.data.yamlfile import item_line, node_line, read_yaml
from productops.schema import TABLES

__all__ = [
    "BUILTIN_CHECKS",
    "CHECK_KINDS",
    "Check",
    "Checks",
    "Reconciliation",
    "Side",
    "column_dimensions",
    "load_checks",
]

BUILTIN_CHECKS = Path(__file__).parent / "checks"
ID = r"^[a-z][a-z0-9_]*$"
CheckKind = Literal[
    "freshness",
    "volume",
    "schema",
    "not_null",
    "unique",
    "accepted_values",
    "paired",
    "relationships",
    "range",
]
CHECK_KINDS: tuple[str, ...] = get_args(CheckKind)
# The params each kind needs, and those it may take.
_PARAMS: dict[str, tuple[set[str], set[str]]] = {
    "freshness": ({"column", "max_age_hours"}, set()),
    "volume": (set(), {"column", "grain", "periods", "max_z", "max_relative"}),
    "schema": (set(), set()),
    "not_null": ({"column"}, set()),
    "unique": ({"columns"}, set()),
    "accepted_values": ({"column", "values"}, set()),
    "paired": ({"column", "values", "present"}, set()),
    "relationships": ({"column", "to"}, {"to_column"}),
    "range": (set(), {"column", "min", "max", "grain"}),
}
_METRIC_KINDS = {"volume", "range"}  # kinds that also apply to a catalog metric's value per period


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Check(_Strict):
    """One check on a canonical table or, as `metric:NAME`, on a catalog metric."""

    id: str = Field(pattern=ID)
    kind: CheckKind
    target: str
    params: dict[str, Any] = {}
    severity: Literal["warn", "error"] = "error"
    description: str = ""

    @model_validator(mode="after")
    def _params_of_kind(self) -> Check:
        need, may = _PARAMS[self.kind]
        missing = sorted(need - set(self.params))
        unknown = sorted(set(self.params) - need - may)
        if missing:
            raise ValueError(f"a {self.kind} check needs params {', '.join(missing)}")
        if unknown:
            raise ValueError(f"a {self.kind} check takes no params {', '.join(unknown)}")
        if self.kind == "range" and not {"min", "max"} & set(self.params):
            raise ValueError("a range check needs params min, max or both")
        if self.kind == "volume" and {"max_z", "max_relative"} <= set(self.params):
            raise ValueError("a volume check takes max_z or max_relative, not both")
        return self

    @property
    def metric(self) -> str | None:
        """The catalog metric checked, when the target is `metric:NAME`."""
        return self.target.removeprefix("metric:") if self.target.startswith("metric:") else None


class Side(_Strict):
    """One side of a reconciliation: rows of a canonical table, or a catalog metric."""

    table: str | None = None
    metric: str | None = None
    key: str | None = None
    value: str | None = None
    time: str | None = None
    segment: str | None = None
    where: list[str] = []

    @model_validator(mode="after")
    def _table_or_metric(self) -> Side:
        if (self.table is None) == (self.metric is None):
            raise ValueError("give a table or a metric")
        if self.metric is not None and (self.key or self.value or self.time):
            raise ValueError("a metric side takes segment and where, not key, value or time")
        if self.value is not None:
            derived_names(self.value)
        return self

    @property
    def target(self) -> str:
        return str(self.table) if self.metric is None else f"metric:{self.metric}"


class Tolerance(_Strict):
    """Two values match when they differ by at most `absolute` or `relative` x the larger."""

    absolute: float = Field(default=0.0, ge=0)
    relative: float = Field(default=0.0, ge=0)


class Reconciliation(_Strict):
    """The same measure on two sources, compared per period and segment, and per key."""

    id: str = Field(pattern=ID)
    left: Side
    right: Side
    grain: Grain | None = None
    tolerance: Tolerance = Tolerance()
    severity: Literal["warn", "error"] = "error"
    description: str = ""

    @model_validator(mode="after")
    def _comparable(self) -> Reconciliation:
        if (self.left.key is None) != (self.right.key is None):
            raise ValueError("give a key on both sides or on neither")
        metrics = self.left.metric is not None or self.right.metric is not None
        if metrics and (self.left.key or self.right.key):
            raise ValueError("a metric side has no keys: compare tables to drill down to keys")
        if metrics and self.grain is None:
            raise ValueError("comparing a metric needs a grain")
        sides = (self.left, self.right)
        if self.grain is not None and any(s.table and s.time is None for s in sides):
            raise ValueError("comparing per period needs a time column on each table side")
        if self.grain is None and any(s.time for s in sides):
            raise ValueError("a time column needs the reconciliation's grain")
        return self

    @property
    def kind(self) -> str:
        return "reconciliation"

    @property
    def target(self) -> str:
        """Both sides' targets, comma-separated (what an incident on it concerns)."""
        return f"{self.left.target},{self.right.target}"


class ChecksFile(_Strict):
    checks: list[Check] = []
    reconciliations: list[Reconciliation] = []


@dataclass
class Checks:
    """Every declared check and reconciliation, with the file and line of each."""

    checks: dict[str, Check] = field(default_factory=dict)
    reconciliations: dict[str, Reconciliation] = field(default_factory=dict)
    origins: dict[str, tuple[Path, int]] = field(default_factory=dict)

    def all(self) -> list[Check | Reconciliation]:
        return [*self.checks.values(), *self.reconciliations.values()]


def column_dimensions(table: str) -> dict[str, str]:
    """A table's columns as filter dimensions: numeric or categorical."""
    return {
        c.name: "numeric" if c.type in ("int", "float") else "categorical"
        for c in TABLES[table].columns
    }


def _column(table: str, column: Any, field_name: str) -> None:
    if not isinstance(column, str) or column not in TABLES[table].column_names:
        raise ValueError(f"{field_name}: {table} has no column {column!r}")


def _check_check(check: Check, catalog: Catalog | None) -> None:
    """Targets, columns and params exist and have the right types (raises ValueError)."""
    p = check.params
    if check.metric is not None:
        if check.kind not in _METRIC_KINDS:
            raise ValueError(f"target: a {check.kind} check needs a table, not a metric")
        if catalog is not None and check.metric not in catalog.metrics:
            raise ValueError(f"target: no metric {check.metric!r} in the catalog")
        if "column" in p:
            raise ValueError("params.column: a metric check reads the metric's value")
        return
    if check.target not in TABLES:
        raise ValueError(f"target: no canonical table {check.target!r}")
    for name in ("column", "to_column", "present"):
        if name in p:
            _column(p["to"] if name == "to_column" else check.target, p[name], f"params.{name}")
    if "columns" in p:
        columns = p["columns"]
        for column in columns if isinstance(columns, list) and columns else [None]:
            _column(check.target, column, "params.columns")
    if check.kind == "relationships" and p["to"] not in TABLES:
        raise ValueError(f"params.to: no canonical table {p['to']!r}")
    if check.kind == "volume" and "column" not in p:
        raise ValueError("params.column: a volume check on a table needs its time column")
    if check.kind == "range" and "column" not in p:
        raise ValueError("params.column: a range check on a table needs a column")
    if check.kind in ("accepted_values", "paired") and not isinstance(p["values"], list):
        raise ValueError("params.values: give a list of values")
    for name in ("max_age_hours", "min", "max", "max_z", "max_relative"):
        if name in p and (isinstance(p[name], bool) or not isinstance(p[name], int | float)):
            raise ValueError(f"params.{name}: give a number, not {p[name]!r}")
    if "periods" in p and (not isinstance(p["periods"], int) or p["periods"] < 2):
        raise ValueError("params.periods: give a whole number of at least 2")
    if p.get("grain", "day") not in get_args(Grain):
        raise ValueError(f"params.grain: use day, week, month or quarter, not {p['grain']!r}")


def _check_side(side: Side, name: str, catalog: Catalog | None) -> None:
    if side.metric is not None:
        if catalog is not None and side.metric not in catalog.metrics:
            raise ValueError(f"{name}.metric: no metric {side.metric!r} in the catalog")
        return
    table = str(side.table)
    if table not in TABLES:
        raise ValueError(f"{name}.table: no canonical table {table!r}")
    for attr in ("key", "time", "segment"):
        if getattr(side, attr) is not None:
            _column(table, getattr(side, attr), f"{name}.{attr}")
    for column in derived_names(side.value or "0"):
        _column(table, column, f"{name}.value")
    try:
        parse_filters(side.where, column_dimensions(table))
    except Exception as exc:  # UsageError: re-raised with the file and line by the caller
        raise ValueError(f"{name}.where: {exc}") from None


def load_checks(
    folders: Iterable[Path] = (), *, catalog: Catalog | None = None, builtins: bool = True
) -> Checks:
    """Read the built-in checks, then every `*.yml`/`*.yaml` in `folders` (later ids win).

    With a `catalog`, metric targets must exist in it. Raises `ConfigError` naming the
    file, line and field of the first bad definition.
    """
    found = Checks()
    sources = [BUILTIN_CHECKS] if builtins else []
    for folder in [*sources, *map(Path, folders)]:
        if not folder.is_dir():
            continue
        for path in sorted([*folder.glob("*.yml"), *folder.glob("*.yaml")]):
            parsed, root = read_yaml(path, ChecksFile, "docs/data-quality.md")
            entries: list[tuple[str, int, Check | Reconciliation]] = [
                *(("checks", i, c) for i, c in enumerate(parsed.checks)),
                *(("reconciliations", i, r) for i, r in enumerate(parsed.reconciliations)),
            ]
            for section, i, item in entries:
                line = item_line(root, section, i)
                before = found.origins.get(item.id)
                if before is not None and before[0] == path:
                    raise ConfigError(f"{path}:{line}: id: {item.id} is defined twice")
                try:
                    if isinstance(item, Check):
                        _check_check(item, catalog)
                    else:
                        _check_side(item.left, "left", catalog)
                        _check_side(item.right, "right", catalog)
                except ValueError as exc:
                    where = str(exc).split(":", 1)[0].split(".")
                    at = node_line(root, [section, i, *where]) if root else line
                    raise ConfigError(f"{path}:{at}: {exc} (of {item.id})") from None
                found.checks.pop(item.id, None)
                found.reconciliations.pop(item.id, None)
                found.origins[item.id] = (path, line)
                if isinstance(item, Check):
                    found.checks[item.id] = item
                else:
                    found.reconciliations[item.id] = item
    return found
