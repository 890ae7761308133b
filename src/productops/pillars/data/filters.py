"""`--where` filters: parsed, checked against declared dimensions, compiled to Ibis predicates.

A filter is `DIMENSION OP VALUE` where OP is `=`, `!=`, `<`, `<=`, `>`, `>=`, or
`DIMENSION [not] in (V1, V2, ...)`. Values are bare words, numbers or quoted
strings; they become Ibis literals, so no user text ever reaches SQL as text.

>>> parse_filter("segment in (smb, enterprise)", {"segment": "categorical"})
Filter(dimension='segment', op='in', values=('smb', 'enterprise'))
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from productops.errors import UsageError

if TYPE_CHECKING:
    import ibis.expr.types as ir

__all__ = ["Filter", "parse_filter", "parse_filters", "predicate"]

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
      | (?P<op><=|>=|!=|<>|==|=|<|>)
      | (?P<punct>[(),])
      | (?P<word>[^\s(),'"=<>!]+)
    )""",
    re.VERBOSE,
)
_COMPARISONS = {"=", "!=", "<", "<=", ">", ">="}
_ORDERING = {"<", "<=", ">", ">="}


@dataclass(frozen=True)
class Filter:
    """One parsed condition on a dimension."""

    dimension: str
    op: str  # =, !=, <, <=, >, >=, in, not in
    values: tuple[str | float, ...]


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise ValueError(f"unexpected {text[pos:].strip()!r}")
        kind = match.lastgroup or ""
        value = match.group(kind)
        if kind == "string":
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        out.append((kind, value))
        pos = match.end()
    return out


def _value(kind: str, text: str, dimension: str, dtype: str) -> str | float:
    if dtype != "numeric":
        return text
    if kind == "string":
        raise ValueError(f"{dimension} is numeric: give a number, not {text!r}")
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"{dimension} is numeric: {text!r} is not a number") from None


def parse_filter(text: str, dimensions: Mapping[str, str]) -> Filter:
    """Parse one filter; `dimensions` maps each allowed name to `categorical` or `numeric`.

    Raises `UsageError` naming the filter and the allowed dimensions.
    """
    allowed = ", ".join(sorted(dimensions)) or "none"
    try:
        tokens = _tokens(text)
        if len(tokens) < 3 or tokens[0][0] != "word":
            raise ValueError("expected DIMENSION OP VALUE")
        dimension = tokens[0][1]
        if dimension not in dimensions:
            raise ValueError(f"unknown dimension {dimension!r}")
        dtype = dimensions[dimension]
        rest = tokens[1:]
        negate = rest[0] == ("word", "not")
        if negate:
            rest = rest[1:]
        if rest and rest[0] == ("word", "in"):
            inner = rest[1:]
            if len(inner) < 3 or inner[0][1] != "(" or inner[-1][1] != ")":
                raise ValueError("expected `in (V1, V2, ...)`")
            values: list[str | float] = []
            for i, (kind, value) in enumerate(inner[1:-1]):
                if i % 2 == 1:
                    if value != ",":
                        raise ValueError("separate values with commas")
                    continue
                if kind not in ("word", "string"):
                    raise ValueError(f"unexpected {value!r} in the list")
                values.append(_value(kind, value, dimension, dtype))
            if len(inner) % 2 == 0 or not values:
                raise ValueError("expected `in (V1, V2, ...)`")
            return Filter(dimension, "not in" if negate else "in", tuple(values))
        if negate or len(rest) != 2 or rest[0][0] != "op" or rest[1][0] not in ("word", "string"):
            raise ValueError("expected DIMENSION OP VALUE")
        op = {"==": "=", "<>": "!="}.get(rest[0][1], rest[0][1])
        if op in _ORDERING and dtype != "numeric":
            raise ValueError(f"{op} needs a numeric dimension; {dimension} is {dtype}")
        return Filter(dimension, op, (_value(rest[1][0], rest[1][1], dimension, dtype),))
    except ValueError as exc:
        raise UsageError(
            f"--where {text!r}: {exc}; use DIMENSION = VALUE, !=, <, <=, >, >= or "
            f"DIMENSION in (A, B) over the dimensions: {allowed}"
        ) from None


def parse_filters(texts: list[str], dimensions: Mapping[str, str]) -> list[Filter]:
    """Parse several filters (they all must hold)."""
    return [parse_filter(t, dimensions) for t in texts]


def predicate(column: ir.Column, flt: Filter) -> ir.BooleanValue:
    """The Ibis predicate of `flt` on `column`; values are passed as literals."""
    import ibis

    values = [ibis.literal(v) for v in flt.values]
    if flt.op == "in":
        result: ir.BooleanValue = column.isin(values)
    elif flt.op == "not in":
        result = column.notin(values)
    else:
        value = values[0]
        result = {
            "=": lambda: column == value,
            "!=": lambda: column != value,
            "<": lambda: column < value,
            "<=": lambda: column <= value,
            ">": lambda: column > value,
            ">=": lambda: column >= value,
        }[flt.op]()
    return result
