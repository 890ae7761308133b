"""Names, units and directions of the criteria a report shows, and how values read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from productops.durations import Grain
from productops.ops.criteria import CRITERIA, ORG, PILLAR_GROUPS

__all__ = [
    "ORG",
    "Label",
    "change",
    "label",
    "number",
    "p_value",
    "percent",
    "period_label",
    "pillar_title",
]

_TITLES = {
    "data": "Data and insights",
    "customer": "Customer and market insights",
    "process": "Process and governance",
    "operations": "Operational priorities",
    "business": "Business alignment",
}
_ORDER = {c: i for i, c in enumerate(CRITERIA)}


@dataclass(frozen=True)
class Label:
    """How a criterion is shown: its name, pillar, unit, better direction and place in order."""

    id: str
    name: str
    pillar: str
    unit: str
    direction: str
    order: tuple[int, int, str]


def label(metric: str) -> Label:
    """The label of a built-in criterion; a metric the criteria do not know shows its id."""
    found = CRITERIA.get(metric)
    if found is None:
        return Label(metric, metric, "other", "", "higher", (len(PILLAR_GROUPS), 0, metric))
    group = PILLAR_GROUPS.index(found.pillar) if found.pillar in PILLAR_GROUPS else 0
    return Label(
        metric, found.name, found.pillar, found.unit, found.direction, (group, _ORDER[metric], "")
    )


def pillar_title(pillar: str) -> str:
    return _TITLES.get(pillar, "Other metrics" if pillar == "other" else pillar.title())


def number(value: float | None, unit: str = "") -> str:
    """`value` with its unit, e.g. 42% or 3.5 days; an empty string for no value."""
    if value is None:
        return ""
    shown = f"{value:,.0f}" if abs(value) >= 100 or value == int(value) else f"{value:,.1f}"
    if abs(value) < 1 and value != 0:
        shown = f"{value:.2f}"
    if unit == "%":
        return f"{shown}%"
    if unit.startswith("score"):  # "score 1-5" reads 4.2 (1-5)
        scale = unit.removeprefix("score").strip()
        return f"{shown} ({scale})" if scale else shown
    return f"{shown} {unit}".strip()


def change(delta: float, unit: str = "") -> str:
    """A signed change in `unit`; a change of a share (%) is in percentage points (pp)."""
    sign = "+" if delta > 0 else "-" if delta < 0 else ""
    return f"{sign}{number(abs(delta))} pp" if unit == "%" else f"{sign}{number(abs(delta), unit)}"


def percent(share: float | None, signed: bool = True) -> str:
    """A share (0.053) as a percentage with one decimal (+5.3%); empty for no value."""
    if share is None:
        return ""
    return f"{share * 100:+.1f}%" if signed else f"{share * 100:.1f}%"


def p_value(p: float | None) -> str:
    """A p-value with three decimals, or `< 0.001`; empty for none."""
    if p is None:
        return ""
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def period_label(start: datetime, grain: Grain) -> str:
    """A period as people name it: 2025 Q3, 2025-07, week of 2025-07-07 or 2025-07-07."""
    if grain == "quarter":
        return f"{start.year} Q{(start.month - 1) // 3 + 1}"
    if grain == "month":
        return f"{start:%Y-%m}"
    if grain == "week":
        return f"wk {start:%Y-%m-%d}"
    return f"{start:%Y-%m-%d}"
