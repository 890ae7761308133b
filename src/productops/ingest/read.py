"""Reading files to import: CSV, JSON Lines and Parquet, gzipped or not.

A file is gunzipped when its first bytes say it is gzip, whatever its name
(`teams.csv.gz` is read as CSV), and decoded as UTF-8, or as UTF-16 or UTF-32
when it starts with their byte-order mark. A reader never fails on one bad
row: a row that cannot be read (bytes not valid in the file's encoding, a
truncated last line, invalid JSON, a wrong number of fields, a CSV field longer
than Python's field limit of 131,072 characters) is returned as a `Rejection`
with its line, and the rest are read. Only a file that cannot be opened at all
is an `ImportFileError`.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
import re
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import pyarrow as pa
import pyarrow.parquet as pq

from productops.errors import ImportFileError

__all__ = ["FORMATS", "LINE", "FileRows", "ReadResult", "Rejection", "read_file", "read_rows"]

LINE = "_line"
FORMATS = {
    ".csv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".parquet": "parquet",
}
_GZIP = b"\x1f\x8b"
_BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)
_ENCODING_NAMES = {"utf-8-sig": "UTF-8", "utf-16": "UTF-16", "utf-32": "UTF-32"}
# Bytes not valid in the file's encoding are read as lone surrogates (U+DC00 + byte),
# which no valid text holds, so the row that has them is rejected, not the file.
_BROKEN = "productops-broken-bytes"
_SURROGATE = re.compile("[\ud800-\udfff]")
# How much of an unreadable CSV row a rejection keeps.
_SHOWN = 1000


def _keep_bytes(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeDecodeError):
        raise error
    bad = error.object[error.start : error.end]
    return "".join(chr(0xDC00 + b) for b in bad), error.end


codecs.register_error(_BROKEN, _keep_bytes)


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


Row = tuple[int, list[str | None]]


@dataclass
class FileRows:
    """A file's rows as text, each with its line (row for Parquet), and the rows it rejected."""

    header: list[str]
    rows: list[Row]
    rejected: list[Rejection]


def read_file(path: Path, columns: Iterable[str], mapping: dict[str, str]) -> ReadResult:
    """Read `path` and rename its columns to the canonical `columns`.

    `mapping` maps canonical column -> column in the file; other file columns
    match a canonical one by name, ignoring case, spaces and dashes.
    """
    rename = _renamer(list(columns), mapping)
    if _format(path) == "parquet":
        return _read_parquet(path, rename)
    return _to_arrow(read_rows(path), rename)


def read_rows(path: Path) -> FileRows:
    """The rows of `path` (CSV, JSON Lines or Parquet, told by its name) as text, unrenamed."""
    kind = _format(path)
    if kind == "parquet":
        data = _parquet(path)
        rows = [(i, [_as_text(v) for v in row]) for i, row in enumerate(_tuples(data), 1)]
        return FileRows(data.column_names, rows, [])
    reader = _read_csv if kind == "csv" else _read_jsonl
    try:
        with _open_text(path) as handle:
            return reader(path, handle)
    except (OSError, EOFError, zlib.error) as exc:
        raise ImportFileError(f"{path}: cannot read the file ({exc})") from None


def _format(path: Path) -> str:
    """csv, jsonl or parquet, from the file's name (`.gz` left aside); the file must exist."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] in (".gz", ".gzip"):
        suffixes.pop()
    kind = FORMATS.get(suffixes[-1]) if suffixes else None
    if kind is None:
        raise ImportFileError(
            f"{path}: unknown file type {path.suffix!r}; use .csv, .jsonl (JSON Lines) or "
            ".parquet, gzipped or not"
        )
    if not path.is_file():
        raise ImportFileError(f"{path}: no such file")
    return kind


def _gzipped(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(2) == _GZIP


@contextmanager
def _open_text(path: Path) -> Iterator[TextIO]:
    """The file as text: gunzipped if it is gzip, decoded by its byte-order mark (else UTF-8)."""
    with gzip.open(path, "rb") if _gzipped(path) else path.open("rb") as raw:
        head = raw.peek(4)[:4]
        encoding = next((name for bom, name in _BOMS if head.startswith(bom)), "utf-8-sig")
        with io.TextIOWrapper(raw, encoding=encoding, errors=_BROKEN, newline="") as handle:
            yield handle


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


def _parquet(path: Path) -> pa.Table:
    try:
        if _gzipped(path):
            return pq.read_table(pa.BufferReader(gzip.decompress(path.read_bytes())))
        return pq.read_table(path)
    except (OSError, EOFError, zlib.error, pa.ArrowException) as exc:
        raise ImportFileError(f"{path}: not a readable Parquet file: {exc}") from exc


def _tuples(data: pa.Table) -> Iterator[tuple[Any, ...]]:
    columns = [column.to_pylist() for column in data.columns]
    return zip(*columns, strict=True)


def _read_parquet(path: Path, rename: Rename) -> ReadResult:
    data = _parquet(path)
    keep, ignored = _rename_header(data.column_names, rename)
    data = data.select(list(keep)).rename_columns(list(keep.values()))
    data = data.append_column(LINE, pa.array(range(1, data.num_rows + 1), pa.int64()))
    return ReadResult(data, [], ignored, line_label="row")


def _encoding(handle: TextIO) -> str:
    return _ENCODING_NAMES.get(handle.encoding, handle.encoding)


def _shown(text: str) -> str:
    """`text` with its undecodable bytes shown as U+FFFD."""
    return _SURROGATE.sub("\ufffd", text)


def _read_csv(path: Path, handle: TextIO) -> FileRows:
    rows: list[Row] = []
    rejected: list[Rejection] = []
    last = [""]

    def lines() -> Iterator[str]:
        for text in handle:
            last[0] = text
            yield text

    reader = csv.reader(lines())
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise ImportFileError(f"{path}: cannot read the header row ({exc})") from None
    if header is None:
        raise ImportFileError(f"{path}: the file is empty; expected a header row")
    header = [_shown(name) for name in header]
    width = len(header)
    previous_end = reader.line_num
    while True:
        line = previous_end + 1
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            rejected.append(Rejection(line, f"unreadable CSV row: {exc}", last[0][:_SHOWN]))
            continue
        finally:
            previous_end = reader.line_num
        if not fields:
            continue
        if any(_SURROGATE.search(f) for f in fields):
            rejected.append(_broken_encoding(line, header, fields, _encoding(handle)))
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
    return FileRows(header, rows, rejected)


def _broken_encoding(line: int, header: list[str], fields: list[str], encoding: str) -> Rejection:
    column = next(
        (name for name, value in zip(header, fields, strict=False) if _SURROGATE.search(value)),
        "?",
    )
    return Rejection(
        line, f"broken encoding: column {column} is not valid {encoding}", _shown(",".join(fields))
    )


def _read_jsonl(path: Path, handle: TextIO) -> FileRows:
    objects: list[tuple[int, dict[str, Any]]] = []
    rejected: list[Rejection] = []
    for line, text in enumerate(handle, 1):
        if not text.strip():
            continue
        if _SURROGATE.search(text):
            reason = f"broken encoding: not valid {_encoding(handle)}"
            rejected.append(Rejection(line, reason, _shown(text.rstrip("\r\n"))))
            continue
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            truncated = not text.endswith(("\n", "\r"))
            reason = "truncated last line" if truncated else "not valid JSON"
            record = text.rstrip("\r\n")
            rejected.append(Rejection(line, f"{reason}: {exc.msg} at column {exc.colno}", record))
            continue
        if not isinstance(obj, dict):
            rejected.append(
                Rejection(
                    line, f"expected a JSON object, got {type(obj).__name__}", text.rstrip("\r\n")
                )
            )
            continue
        objects.append((line, obj))
    header = list(dict.fromkeys(k for _, obj in objects for k in obj))
    rows = [(line, [_as_text(obj.get(k)) for k in header]) for line, obj in objects]
    return FileRows(header, rows, rejected)


def _as_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    text = str(value)
    return text if text.strip() else None


def _to_arrow(found: FileRows, rename: Rename) -> ReadResult:
    keep, ignored = _rename_header(found.header, rename)
    columns: dict[str, pa.Array[Any]] = {
        name: pa.array([fields[i] for _, fields in found.rows], pa.string())
        for i, name in keep.items()
    }
    columns[LINE] = pa.array([line for line, _ in found.rows], pa.int64())
    return ReadResult(pa.table(columns), found.rejected, ignored)
