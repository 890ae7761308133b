"""Printing rows as a Rich table, JSON or CSV: the one way every command shows a table.

Data is printed as it is: never read as Rich markup (`literal`), and a CSV cell never starts
a spreadsheet formula (`csv_cell`).
"""

from __future__ import annotations

import csv
import json
import math
import sys
from collections.abc import Sequence
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from rich.console import Console, JustifyMethod
from rich.table import Table
from rich.text import Text

__all__ = ["Format", "csv_cell", "literal", "plain", "render", "render_sections"]

# Terminal control characters (C0 but tab and newline, DEL, C1) shown as \xNN, so that data cannot
# move the cursor, recolour the terminal or open a link; a carriage return is dropped as Rich does.
_CONTROLS = {c: f"\\x{c:02x}" for c in (*range(0x20), *range(0x7F, 0xA0)) if c not in (9, 10)}
_CONTROLS[13] = ""
# Leading characters a spreadsheet reads as a formula (OWASP, CSV injection).
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


def plain(value: Any) -> Any:
    """A value for JSON or CSV: dates in ISO 8601, numbers at full precision, NaN or infinity as none."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def literal(value: object) -> Text:
    """`value` as Rich text that shows as it is: no markup, emoji codes or control characters."""
    return Text(str(value).translate(_CONTROLS))


def csv_cell(value: Any) -> Any:
    """A CSV cell that a spreadsheet cannot run: a string starting a formula gets a leading ',
    and its line breaks are written as \\n (which the writer quotes; a lone \\r it would not)."""
    if not isinstance(value, str):
        return value
    text = value.replace("\r\n", "\n").replace("\r", "\n")
    return "'" + text if value.startswith(_FORMULA) else text


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return (
            value.strftime("%Y-%m-%d %H:%M")
            if value.time() != datetime.min.time()
            else f"{value:%Y-%m-%d}"
        )
    if isinstance(value, float):
        if value != value:  # NaN: no value
            return ""
        return f"{value:,.2f}" if abs(value) < 10 else f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def render(
    rows: Sequence[dict[str, Any]],
    columns: Sequence[str],
    fmt: Format,
    title: str = "",
    console: Console | None = None,
) -> None:
    """Print `rows` (dicts with at least `columns`) in `fmt` to standard output."""
    if fmt is Format.json:
        sys.stdout.write(
            json.dumps([{c: plain(r.get(c)) for c in columns} for r in rows], indent=2) + "\n"
        )
        return
    if fmt is Format.csv:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(csv_cell(c) for c in columns)
        writer.writerows([csv_cell(plain(r.get(c))) for c in columns] for r in rows)
        return
    console = console or Console()
    cells = [[_shown(r.get(c)) for c in columns] for r in rows]
    ids = [i for i, c in enumerate(columns) if _is_id(c)]
    # ids are never cut: whole on one line when they fit beside the other columns, else folded
    need = sum(3 + max((len(row[i]) for row in cells), default=0) for i in ids)
    whole = need + 10 * (len(columns) - len(ids)) <= console.width
    table = Table(title=literal(title) if title else None, title_justify="left")
    for i, col in enumerate(columns):
        numeric = any(isinstance(r.get(col), int | float) for r in rows)
        justify: JustifyMethod = "right" if numeric else "left"
        if i in ids:
            table.add_column(literal(col), justify=justify, overflow="fold", no_wrap=whole)
        else:
            table.add_column(literal(col), justify=justify)
    for row in cells:
        table.add_row(*(literal(cell) for cell in row))
    console.print(table)


ID_COLUMNS = {"blocked_team", "blocking_team", "criterion", "evidence", "ref", "rule"}
ID_COLUMNS |= {"superseded_by", "theme_ids"}


def _is_id(column: str) -> bool:
    """Whether a column holds ids, which a table never cuts off."""
    return column == "id" or column.endswith("_id") or column in ID_COLUMNS


def render_sections(
    sections: dict[str, tuple[list[dict[str, Any]], list[str]]], fmt: Format
) -> None:
    """Several tables: titled tables, one JSON object keyed by section, or CSV blocks split by a blank line."""
    if fmt is Format.json:
        data = {
            name: [{c: plain(r.get(c)) for c in cols} for r in rows]
            for name, (rows, cols) in sections.items()
        }
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
        return
    for i, (name, (rows, cols)) in enumerate(sections.items()):
        if i and fmt is Format.csv:
            sys.stdout.write("\n")
        render(rows, cols, fmt, title=name)
