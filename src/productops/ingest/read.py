"""Reading files to import: CSV, JSON Lines and Parquet.

A reader never fails on one bad row: a row that cannot be read (broken
encoding, a truncated last line, invalid JSON, a wrong number of fields) is
returned as a `Rejection` with its line, and the rest are read. Only a file that
cannot be opened at all is an `ImportFileError`.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from productops.errors import ImportFileError

__all__ = ["FORMATS", "LINE", "ReadResult", "Rejection", "read_file"]

LINE = "_line"
FORMATS = {
    ".csv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".parquet": "parquet",
}


@dataclass(frozen=True)
class Rejection:
    """A row that could not be read, with where and why."""

    line: int
    reason: str
    record: str


@dataclass
class ReadResult:
    """Rows read from a file: `data` has canonical column names and a `_line` column."""

    data: pa.Table
    rejected: list[Rejection] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    line_label: str = "line"


def read_file(path: Path, columns: Iterable[str], mapping: dict[str, str]) -> ReadResult:
    """Read `path` and rename its columns to the canonical `columns`.

    `mapping` maps canonical column -> column in the file; other file columns
    match a canonical one by name, ignoring case, spaces and dashes.
    """
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        raise ImportFileError(
            f"{path}: unknown file type {path.suffix!r}; use .csv, .jsonl (JSON Lines) or .parquet"
        )
    if not path.is_file():
        raise ImportFileError(f"{path}: no such file")
    rename = _renamer(list(columns), mapping)
    if kind == "parquet":
        return _read_parquet(path, rename)
    header, rows, rejected = _read_csv(path) if kind == "csv" else _read_jsonl(path)
    return _to_arrow(header, rows, rejected, rename)


def _normalise(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().lower())


Rename = Callable[[str], str | None]


def _renamer(columns: list[str], mapping: dict[str, str]) -> Rename:
    """file column -> canonical column, or None for a column that has none."""
    by_file = {src: dst for dst, src in mapping.items()}
    known = set(columns) - set(mapping)

    def rename(name: str) -> str | None:
        if name in by_file:
            return by_file[name]
        normal = _normalise(name)
        return normal if normal in known else None

    return rename


def _rename_header(header: list[str], rename: Rename) -> tuple[dict[int, str], list[str]]:
    keep: dict[int, str] = {}
    ignored = []
    for i, name in enumerate(header):
        target = rename(name)
        if target and target not in keep.values():
            keep[i] = target
        else:
            ignored.append(name)
    return keep, ignored


def _read_parquet(path: Path, rename: Rename) -> ReadResult:
    try:
        data = pq.read_table(path)
    except (OSError, pa.ArrowException) as exc:
        raise ImportFileError(f"{path}: not a readable Parquet file: {exc}") from exc
    keep, ignored = _rename_header(data.column_names, rename)
    data = data.select(list(keep)).rename_columns(list(keep.values()))
    data = data.append_column(LINE, pa.array(range(1, data.num_rows + 1), pa.int64()))
    return ReadResult(data, [], ignored, line_label="row")


Row = tuple[int, list[str | None]]


def _read_csv(path: Path) -> tuple[list[str], list[Row], list[Rejection]]:
    rows: list[Row] = []
    rejected: list[Rejection] = []
    with path.open(encoding="utf-8-sig", errors="surrogateescape", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None:
            raise ImportFileError(f"{path}: the file is empty; expected a header row")
        width = len(header)
        previous_end = reader.line_num
        for fields in reader:
            line = previous_end + 1
            previous_end = reader.line_num
            if not fields:
                continue
            try:
                "\x1f".join(fields).encode("utf-8")
            except UnicodeEncodeError:
                rejected.append(_broken_encoding(line, header, fields))
                continue
            if len(fields) != width:
                what = "truncated row" if len(fields) < width else "too many fields"
                rejected.append(
                    Rejection(
                        line,
                        f"{what}: {len(fields)} fields where the header has {width}",
                        ",".join(fields),
                    )
                )
                continue
            rows.append((line, [f if f.strip() else None for f in fields]))
    return header, rows, rejected


def _broken_encoding(line: int, header: list[str], fields: list[str]) -> Rejection:
    column = next(
        (
            name
            for name, value in zip(header, fields, strict=False)
            if value.encode("utf-8", "surrogateescape") != value.encode("utf-8", "replace")
        ),
        "?",
    )
    raw = ",".join(fields).encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return Rejection(line, f"broken encoding: column {column} is not valid UTF-8", raw)


def _read_jsonl(path: Path) -> tuple[list[str], list[Row], list[Rejection]]:
    objects: list[tuple[int, dict[str, Any]]] = []
    rejected: list[Rejection] = []
    raw_lines = path.read_bytes().split(b"\n")
    ends_cleanly = raw_lines[-1] == b""
    last = len(raw_lines) - (2 if ends_cleanly else 1)
    for index, raw in enumerate(raw_lines):
        line = index + 1
        if not raw.strip():
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            shown = raw.decode("utf-8", "replace")
            rejected.append(
                Rejection(line, f"broken encoding: not valid UTF-8 ({exc.reason})", shown)
            )
            continue
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            truncated = index == last and not ends_cleanly
            reason = "truncated last line" if truncated else "not valid JSON"
            rejected.append(Rejection(line, f"{reason}: {exc.msg} at column {exc.colno}", text))
            continue
        if not isinstance(obj, dict):
            rejected.append(
                Rejection(line, f"expected a JSON object, got {type(obj).__name__}", text)
            )
            continue
        objects.append((line, obj))
    header = list(dict.fromkeys(k for _, obj in objects for k in obj))
    rows = [(line, [_as_text(obj.get(k)) for k in header]) for line, obj in objects]
    return header, rows, rejected


def _as_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    text = str(value)
    return text if text.strip() else None


def _to_arrow(
    header: list[str], rows: list[Row], rejected: list[Rejection], rename: Rename
) -> ReadResult:
    keep, ignored = _rename_header(header, rename)
    columns: dict[str, pa.Array[Any]] = {
        name: pa.array([fields[i] for _, fields in rows], pa.string()) for i, name in keep.items()
    }
    columns[LINE] = pa.array([line for line, _ in rows], pa.int64())
    return ReadResult(pa.table(columns), rejected, ignored)
