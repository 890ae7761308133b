"""SQL that turns read values into canonical types and says why a row is invalid.

Built from the table definitions; runs inside the store, vectorised, so a
million rows validate in about a second. User text never enters SQL except as
escaped string literals.
"""

from __future__ import annotations

from collections.abc import Sequence

from productops.config import DecimalSeparator, ImportMapping
from productops.engine import quote
from productops.schema import TABLES, Column, Table
from productops.schema.model import DUCKDB_TYPES

__all__ = [
    "BUILTIN_TIMESTAMP_FORMATS",
    "EARLIEST",
    "LATEST",
    "date_evidence_sql",
    "literal",
    "qualifies",
    "raw_name",
    "reason_sql",
    "typed_sql",
]

# Common export formats tried after ISO 8601: Jira's CSV and UI, European spreadsheets;
# numeric dates with slashes (01/02/2024) follow the date order (`_timestamp`).
BUILTIN_TIMESTAMP_FORMATS = (
    "%d/%b/%y %I:%M %p",
    "%d/%b/%Y %I:%M %p",
    "%d/%b/%y %H:%M",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d",
    "%a, %d %b %Y %H:%M:%S %z",
)
_MONTH_FIRST = ("%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y %I:%M %p", "%m/%d/%Y")
_DAY_FIRST = tuple(f.replace("%m/%d", "%d/%m") for f in _MONTH_FIRST)
# Timestamps outside [EARLIEST, LATEST) are quarantined: sentinels (infinity, 9999-12-31)
# and typos (year -1, 20244) that would break every duration computed from them.
EARLIEST, LATEST = "1900-01-01", "2200-01-01"
_QUALIFIED = r"'^[a-z][a-z0-9_.-]*:'"
# The day and month of a numeric date with slashes: groups 1 and 2.
_SLASHED = r"'^(\d{1,2})/(\d{1,2})/\d{4}\b'"
# A UTC offset after a time of day that no place has: hours 15 and up, 14 and some
# minutes, or minutes 60 and up (one regular expression: it runs on every value).
_BAD_OFFSET = (
    r"'\d:\d\d(?::\d\d(?:[.,]\d*)?)?\s*[+-]"
    r"(?:1[5-9]|[2-9]\d|14:?(?:0[1-9]|[1-5]\d)|\d\d:?[6-9]\d)(?::?\d\d)?$'"
)


def literal(text: str) -> str:
    """`text` as an SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def qualifies(table: Table, col: Column) -> bool:
    """Whether values of `col` get a source prefix (`jira:PROJ-1`)."""
    if col.name == "id":
        return table.qualified
    return col.ref is not None and TABLES[col.ref].qualified


def _slash_part(v: str, group: int) -> str:
    return f"TRY_CAST(regexp_extract({v}, {_SLASHED}, {group}) AS INTEGER)"


def date_evidence_sql(raw: str) -> str:
    """Two booleans over the rows: some value of `raw` reads only day-first (13/01/2024),
    and some only month-first (01/13/2024)."""
    day, month = _slash_part(f"trim({raw})", 1), _slash_part(f"trim({raw})", 2)
    return (
        f"coalesce(bool_or({day} > 12 AND {month} <= 12), false), "
        f"coalesce(bool_or({month} > 12 AND {day} <= 12), false)"
    )


def _ambiguous(v: str) -> str:
    """Whether `v` is a numeric date that reads as two different days (01/02/2024)."""
    first, second = _slash_part(v, 1), _slash_part(v, 2)
    return f"({first} BETWEEN 1 AND 12 AND {second} BETWEEN 1 AND 12 AND {first} <> {second})"


def _bad_offset(v: str) -> str:
    """Whether `v` ends in a UTC offset beyond ±14:00, or with minutes past 59."""
    return f"regexp_matches({v}, {_BAD_OFFSET})"


def _strptime(v: str, formats: Sequence[str]) -> list[str]:
    return [f"TRY_CAST(try_strptime({v}, {literal(f)}) AS TIMESTAMPTZ)" for f in formats]


def _timestamp(v: str, mapping: ImportMapping) -> str:
    """A timestamp from text `v`: the mapping's formats, ISO 8601, the built-in formats,
    numeric dates in the date order (auto: only those that read one way), Unix epoch."""
    if mapping.date_order == "auto":
        either = ", ".join(_strptime(v, (*_MONTH_FIRST, *_DAY_FIRST)))
        slashed = [f"CASE WHEN NOT {_ambiguous(v)} THEN COALESCE({either}) END"]
    else:
        slashed = _strptime(v, _DAY_FIRST if mapping.date_order == "dmy" else _MONTH_FIRST)
    attempts = [
        *_strptime(v, mapping.timestamp_formats),
        f"TRY_CAST({v} AS TIMESTAMPTZ)",
        *_strptime(v, BUILTIN_TIMESTAMP_FORMATS),
        *slashed,
        # Unix epoch in seconds (10 digits) or milliseconds (13 digits).
        f"CASE WHEN regexp_full_match({v}, '\\d{{10}}') THEN to_timestamp(CAST({v} AS BIGINT)) "
        f"WHEN regexp_full_match({v}, '\\d{{13}}') THEN make_timestamp(CAST({v} AS BIGINT) * 1000)::TIMESTAMPTZ END",
    ]
    return f"CASE WHEN NOT {_bad_offset(v)} THEN COALESCE({', '.join(attempts)}) END"


def _number(v: str, target: str, separator: DecimalSeparator) -> str:
    """A number from text `v` whose decimal separator is `separator`; the other one may
    group thousands (1,234.5 or 1.234,5), and nothing else is read with it."""
    if separator == ".":
        grouped = f"regexp_full_match({v}, '[+-]?\\d{{1,3}}(,\\d{{3}})+(\\.\\d+)?')"
        return f"TRY_CAST(CASE WHEN {grouped} THEN replace({v}, ',', '') ELSE {v} END AS {target})"
    european = f"regexp_full_match({v}, '[+-]?(\\d{{1,3}}(\\.\\d{{3}})+|\\d+)(,\\d+)?')"
    return (
        f"TRY_CAST(CASE WHEN {european} THEN replace(replace({v}, '.', ''), ',', '.') "
        f"WHEN NOT regexp_matches({v}, '[.,]') THEN {v} END AS {target})"
    )


def _parse(col: Column, raw: str, is_text: bool, mapping: ImportMapping) -> str:
    target = DUCKDB_TYPES[col.type]
    if not is_text:
        return f"TRY_CAST({raw} AS {target})"
    if col.type == "string":
        return f"lower(replace(trim({raw}), ' ', '_'))" if col.choices else raw
    if col.type == "json":
        return f"CASE WHEN json_valid({raw}) THEN {raw} END"
    if col.type == "timestamp":
        return _timestamp(f"trim({raw})", mapping)
    if col.type in ("int", "float"):
        return _number(f"trim({raw})", target, mapping.decimal_separator)
    return f"TRY_CAST(trim({raw}) AS {target})"


def typed_sql(
    table: Table,
    read_columns: dict[str, bool],
    source: str,
    mapping: ImportMapping,
) -> list[str]:
    """One SELECT expression per canonical column (but ingested_at), named as the column.

    `read_columns` maps each column present in the read data to whether it was
    read as text (CSV, JSON Lines) rather than typed (Parquet); `mapping` says
    how text reads (its date order already decided from the file when auto).
    """
    source_sql = literal(source)
    if "source" in read_columns:
        source_sql = f"COALESCE(CAST(s.source AS VARCHAR), {source_sql})"
    exprs = []
    for col in table.columns:
        if col.name == "ingested_at":
            continue
        if col.name == "source":
            exprs.append(f"{source_sql} AS source")
            continue
        if col.name not in read_columns:
            exprs.append(f"CAST(NULL AS {DUCKDB_TYPES[col.type]}) AS {quote(col.name)}")
            continue
        value = _parse(col, f"s.{quote(col.name)}", read_columns[col.name], mapping)
        if qualifies(table, col):
            value = (
                f"CASE WHEN {value} IS NULL OR regexp_matches({value}, {_QUALIFIED}) THEN {value} "
                f"ELSE {source_sql} || ':' || {value} END"
            )
        exprs.append(f"{value} AS {quote(col.name)}")
    return exprs


def raw_name(column: str) -> str:
    """The quoted name under which a column's value as read sits beside its typed value."""
    return quote(f"__raw__{column}")


def reason_sql(
    table: Table,
    read_columns: dict[str, bool],
    mapping: ImportMapping,
) -> str:
    """An expression over typed (`t.col`) and raw (`t.__raw__col`) columns: '' if valid, else why not."""
    checks = []
    for col in table.columns:
        if col.name in ("source", "ingested_at"):
            continue
        name, raw, typed = col.name, f"t.{raw_name(col.name)}", f"t.{quote(col.name)}"
        if col.required or col.name in table.key:
            what = "missing key" if col.name in table.key else "missing required value"
            present = f"{raw} IS NOT NULL" if name in read_columns else "false"
            checks.append(f"CASE WHEN NOT ({present}) THEN {literal(f'{what} {name}')} END")
        if name not in read_columns:
            continue
        unreadable = _unreadable(table, col, read_columns[name], mapping)
        checks.append(f"CASE WHEN {raw} IS NOT NULL AND {typed} IS NULL THEN {unreadable} END")
        checks += _wrong_values(table, col, read_columns)
    return f"concat_ws('; ', {', '.join(checks)})"


def _shown(column: str) -> str:
    """The value of `column` as read, quoted and cut to 60 characters, for a reason."""
    return f"'\"' || left(CAST(t.{raw_name(column)} AS VARCHAR), 60) || '\"'"


def _unreadable(table: Table, col: Column, is_text: bool, mapping: ImportMapping) -> str:
    """Why the value of `col` as read gave no typed value."""
    name, shown, v = col.name, _shown(col.name), f"trim(t.{raw_name(col.name)})"
    setting = f"imports.{table.name}"
    reason = f"{literal(f'{name}: cannot read ')} || {shown} || {literal(f' as {col.type}')}"
    if not is_text:
        return reason
    if col.type == "timestamp":
        ambiguous = (
            f"WHEN {_ambiguous(v)} THEN {literal(f'{name}: ambiguous date ')} || {shown} || "
            + literal(
                f' (day or month first?); set {setting}.date_order = "dmy" or "mdy" in productops.toml'
            )
            if mapping.date_order == "auto"
            else ""
        )
        return (
            f"CASE WHEN {_bad_offset(v)} THEN {literal(f'{name}: ')} || {shown} || "
            f"{literal(' has a UTC offset beyond ±14:00 or past :59 minutes')} "
            f"{ambiguous} ELSE {reason} END"
        )
    if col.type in ("int", "float"):
        other = "," if mapping.decimal_separator == "." else "."
        hint = literal(
            f'; if "{other}" is the decimal separator, set {setting}.decimal_separator = "{other}" '
            "in productops.toml"
        )
        return f"{reason} || CASE WHEN contains({v}, {literal(other)}) THEN {hint} ELSE '' END"
    return reason


def _wrong_values(table: Table, col: Column, read_columns: dict[str, bool]) -> list[str]:
    """Checks of a typed value: in range, finite, one of the choices, a known team, in order."""
    name, typed, shown = col.name, f"t.{quote(col.name)}", _shown(col.name)
    checks = []
    if col.type in ("timestamp", "date"):
        low, high = (f"CAST({literal(d)} AS {DUCKDB_TYPES[col.type]})" for d in (EARLIEST, LATEST))
        checks.append(
            f"CASE WHEN NOT ({typed} >= {low} AND {typed} < {high}) THEN "
            f"{literal(f'{name}: ')} || {shown} || "
            f"{literal(f' is before {EARLIEST[:4]} or after {int(LATEST[:4]) - 1}: a placeholder or a typo')} END"
        )
    if col.type == "float":
        checks.append(
            f"CASE WHEN NOT isfinite({typed}) THEN {literal(f'{name}: ')} || {shown} || "
            f"{literal(' is not a finite number')} END"
        )
    if col.choices:
        allowed = ", ".join(literal(c) for c in col.choices)
        checks.append(
            f"CASE WHEN {typed} IS NOT NULL AND CAST({typed} AS VARCHAR) NOT IN ({allowed}) THEN "
            f"{literal(f'{name}: ')} || {shown} || {literal(' is not one of ' + ', '.join(col.choices))} END"
        )
    if col.ref == "team":
        # NOT EXISTS, not NOT IN: a blank id among the known ones must not hide every unknown one.
        staged = (
            " UNION ALL SELECT CAST(id AS VARCHAR) FROM _staged" if table.name == "team" else ""
        )
        checks.append(
            f"CASE WHEN {typed} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM (SELECT id FROM team"
            f"{staged}) k WHERE k.id = {typed}) THEN {literal(f'{name}: unknown team ')} || "
            f"{shown} || {literal('; import it into the team table first')} END"
        )
    if col.not_before is not None and col.not_before in read_columns:
        earlier = f"t.{quote(col.not_before)}"
        checks.append(
            f"CASE WHEN {typed} < {earlier} THEN {literal(f'{name} ')} || {shown} || "
            f"{literal(f' is before {col.not_before} ')} || {_shown(col.not_before)} END"
        )
    return checks
