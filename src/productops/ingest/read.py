"""Reading files to import: CSV, JSON Lines and Parquet, gzipped or not, in batches.

A file is gunzipped when its first bytes say it is gzip, whatever its name
(`teams.csv.gz` is read as CSV), and decoded as UTF-8, or as UTF-16 or UTF-32
when it starts with their byte-order mark. A reader never fails on one bad
row: a row that cannot be read (bytes not valid in the file's encoding, a
truncated last line, invalid JSON, a wrong number of fields, a CSV field longer
than Python's field limit of 131,072 characters) is returned as a `Rejection`
with its line, and the rest are read. Only a file that cannot be opened at all
is an `ImportFileError`.

`open_file` reads a file `BATCH_ROWS` rows at a time, so the memory a reader
holds does not grow with the file; `read_file` and `read_rows` read it whole.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
import re
import shutil
import tempfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO, TypeVar

import pyarrow as pa
import pyarrow.parquet as pq

from productops.errors import ImportFileError

__all__ = [
    "BATCH_ROWS",
    "FORMATS",
    "LINE",
    "Batch",
    "FileRows",
    "FileStream",
    "ParquetSource",
    "ReadResult",
    "Rejection",
    "guarded",
    "open_file",
    "read_file",
    "read_rows",
    "text_columns",
    "text_handle",
    "text_schema",
]

LINE = "_line"
BATCH_ROWS = 10_000
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
# What reading a damaged or cut file raises.
_UNREADABLE = (OSError, EOFError, zlib.error)


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
Item = TypeVar("Item")


@dataclass
class FileRows:
    """A file's rows as text, each with its line (row for Parquet), and the rows it rejected."""

    header: list[str]
    rows: list[Row]
    rejected: list[Rejection]


@dataclass(frozen=True)
class Batch:
    """Rows read, in their stream's `schema`, and the rows rejected among them."""

    data: pa.Table
    rejected: list[Rejection]


@dataclass
class FileStream:
    """A file read batch by batch, its columns renamed to the canonical ones.

    Every batch has `schema`: the canonical columns the file may fill, and `_line`.
    `columns` maps each canonical column the file has to whether it is read as
    text; it and `ignored_columns` are complete from the start for CSV and
    Parquet (`header_known`), and once the batches are read for JSON Lines,
    whose rows each name their own keys.
    """

    schema: pa.Schema
    columns: dict[str, bool]
    ignored_columns: list[str]
    batches: Iterator[Batch]
    line_label: str = "line"
    header_known: bool = True
    parquet: ParquetSource | None = None


@dataclass(frozen=True)
class ParquetSource:
    """A Parquet file (ungzipped) DuckDB may read itself instead of a stream's batches:
    faster, and in DuckDB's memory limit; `columns` maps canonical column -> the file's."""

    path: Path
    columns: dict[str, str]


@contextmanager
def open_file(
    path: Path, columns: Iterable[str], mapping: dict[str, str], batch_rows: int = BATCH_ROWS
) -> Iterator[FileStream]:
    """Open `path` to be read in batches of `batch_rows` rows, renamed to the canonical `columns`.

    `mapping` maps canonical column -> column in the file; other file columns
    match a canonical one by name, ignoring case, spaces and dashes.
    """
    canonical = list(columns)
    rename = _renamer(canonical, mapping)
    kind = _format(path)
    with ExitStack() as stack:
        if kind == "parquet":
            yield _parquet_stream(*_parquet_file(stack, path), rename, batch_rows)
            return
        handle = text_handle(stack, path)
        if kind == "csv":
            header, rows = _csv_items(path, handle)
            yield _csv_stream(header, guarded(path, rows), rename, batch_rows)
        else:
            yield _jsonl_stream(canonical, guarded(path, _jsonl_items(handle)), rename, batch_rows)


def read_file(path: Path, columns: Iterable[str], mapping: dict[str, str]) -> ReadResult:
    """`path` read whole (see `open_file`), for files small enough to hold in memory."""
    with open_file(path, columns, mapping) as stream:
        batches = list(stream.batches)
    data = pa.concat_tables([stream.schema.empty_table(), *(b.data for b in batches)])
    return ReadResult(
        data.select([*stream.columns, LINE]),
        [r for b in batches for r in b.rejected],
        stream.ignored_columns,
        stream.line_label,
    )


def read_rows(path: Path) -> FileRows:
    """The rows of `path` (CSV, JSON Lines or Parquet, told by its name) as text, unrenamed."""
    kind = _format(path)
    with ExitStack() as stack:
        if kind == "parquet":
            _, parquet = _parquet_file(stack, path)
            names = parquet.schema_arrow.names
            rows: list[Row] = []
            for batch in guarded(path, parquet.iter_batches(BATCH_ROWS)):
                columns = [column.to_pylist() for column in batch.columns]
                rows += [
                    (len(rows) + 1 + i, [_as_text(v) for v in row])
                    for i, row in enumerate(zip(*columns, strict=True))
                ]
            return FileRows(names, rows, [])
        handle = text_handle(stack, path)
        if kind == "csv":
            header, items = _csv_items(path, handle)
            return _collected(header, list(guarded(path, items)))
        found = list(guarded(path, _jsonl_items(handle)))
    objects = [r for r in found if not isinstance(r, Rejection)]
    keys = list(dict.fromkeys(k for _, obj in objects for k in obj))
    rows = [(line, [_as_text(obj.get(k)) for k in keys]) for line, obj in objects]
    return _collected(keys, [*rows, *(r for r in found if isinstance(r, Rejection))])


def _collected(header: list[str], found: list[Row | Rejection]) -> FileRows:
    rows = [r for r in found if not isinstance(r, Rejection)]
    return FileRows(header, rows, [r for r in found if isinstance(r, Rejection)])


def text_columns(schema: pa.Schema) -> dict[str, bool]:
    """Each column of `schema` but `_line`, and whether it holds text (else typed values)."""
    return {
        f.name: pa.types.is_string(f.type) or pa.types.is_large_string(f.type)
        for f in schema
        if f.name != LINE
    }


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


def text_handle(stack: ExitStack, path: Path) -> TextIO:
    """The file at `path` open as text until `stack` closes; an unreadable one an
    `ImportFileError`."""
    try:
        return stack.enter_context(_open_text(path))
    except _UNREADABLE as exc:
        raise ImportFileError(f"{path}: cannot read the file ({exc})") from None


def guarded(path: Path, items: Iterable[Item]) -> Iterator[Item]:
    """`items`, a damaged or cut file (a truncated gzip stream) an `ImportFileError`."""
    try:
        yield from items
    except _UNREADABLE as exc:
        raise ImportFileError(f"{path}: cannot read the file ({exc})") from None
    except pa.ArrowException as exc:
        raise ImportFileError(f"{path}: not a readable Parquet file: {exc}") from None


def _batched(
    items: Iterable[Item | Rejection], size: int, to_table: Callable[[list[Item]], pa.Table]
) -> Iterator[Batch]:
    """`items` in batches of up to `size` rows (or rejections), made tables by `to_table`."""
    rows: list[Item] = []
    rejected: list[Rejection] = []
    for item in items:
        if isinstance(item, Rejection):
            rejected.append(item)
        else:
            rows.append(item)
        if len(rows) + len(rejected) >= size:
            yield Batch(to_table(rows), rejected)
            rows, rejected = [], []
    yield Batch(to_table(rows), rejected)


def text_schema(names: Iterable[str]) -> pa.Schema:
    """Columns `names` as text, then the line number (`LINE`): a file's rows as read."""
    text: pa.DataType = pa.string()
    return pa.schema([*((n, text) for n in names), (LINE, pa.int64())])


def _lines(rows: list[tuple[int, Any]]) -> pa.Array[Any]:
    return pa.array([line for line, _ in rows], pa.int64())


def _csv_stream(
    header: list[str], items: Iterator[Row | Rejection], rename: Rename, size: int
) -> FileStream:
    keep, ignored = _rename_header(header, rename)
    schema = text_schema(keep.values())

    def to_table(rows: list[Row]) -> pa.Table:
        columns = [pa.array([fields[i] for _, fields in rows], pa.string()) for i in keep]
        return pa.Table.from_arrays([*columns, _lines(rows)], schema=schema)

    return FileStream(
        schema, dict.fromkeys(keep.values(), True), ignored, _batched(items, size, to_table)
    )


def _jsonl_stream(
    canonical: list[str],
    items: Iterator[tuple[int, dict[str, Any]] | Rejection],
    rename: Rename,
    size: int,
) -> FileStream:
    """A JSON Lines stream: a key takes its canonical column when first seen, as the
    header of every key in order of appearance would give it."""
    schema = text_schema(canonical)
    found: dict[str, bool] = {}
    ignored: list[str] = []
    targets: dict[str, str | None] = {}

    def to_table(rows: list[tuple[int, dict[str, Any]]]) -> pa.Table:
        for _, obj in rows:
            for key in obj:
                if key not in targets:
                    target = rename(key)
                    targets[key] = target if target and target not in found else None
                    if targets[key]:
                        found[str(target)] = True
                    else:
                        ignored.append(key)
        source = {target: key for key, target in targets.items() if target}
        columns = [
            pa.array([_as_text(obj.get(source[name])) for _, obj in rows], pa.string())
            if name in source
            else pa.nulls(len(rows), pa.string())
            for name in canonical
        ]
        return pa.Table.from_arrays([*columns, _lines(rows)], schema=schema)

    return FileStream(schema, found, ignored, _batched(items, size, to_table), header_known=False)


def _parquet_file(stack: ExitStack, path: Path) -> tuple[Path, pq.ParquetFile]:
    """The Parquet file at `path`, and where it lies ungzipped (a temporary file if gzipped)."""
    plain = path
    try:
        if _gzipped(path):
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="productops-")))
            plain = folder / "file.parquet"
            with gzip.open(path, "rb") as packed, plain.open("wb") as out:
                shutil.copyfileobj(packed, out)
        return plain, stack.enter_context(pq.ParquetFile(plain))
    except (*_UNREADABLE, pa.ArrowException) as exc:
        raise ImportFileError(f"{path}: not a readable Parquet file: {exc}") from exc


def _parquet_stream(plain: Path, parquet: pq.ParquetFile, rename: Rename, size: int) -> FileStream:
    given = parquet.schema_arrow
    keep, ignored = _rename_header(given.names, rename)
    schema = pa.schema(
        [*(given.field(i).with_name(name) for i, name in keep.items()), pa.field(LINE, pa.int64())]
    )

    def batches() -> Iterator[Batch]:
        start = 1
        chosen = [given.names[i] for i in keep]
        for batch in parquet.iter_batches(size, columns=chosen, use_threads=False):
            lines = pa.array(range(start, start + batch.num_rows), pa.int64())
            start += batch.num_rows
            yield Batch(pa.Table.from_arrays([*batch.columns, lines], schema=schema), [])

    source = ParquetSource(plain, {n: given.names[i] for i, n in keep.items()})
    return FileStream(schema, text_columns(schema), ignored, batches(), "row", parquet=source)


def _encoding(handle: TextIO) -> str:
    return _ENCODING_NAMES.get(handle.encoding, handle.encoding)


def _shown(text: str) -> str:
    """`text` with its undecodable bytes shown as U+FFFD."""
    return _SURROGATE.sub("\ufffd", text)


def _csv_items(path: Path, handle: TextIO) -> tuple[list[str], Iterator[Row | Rejection]]:
    """The header of a CSV file and its rows, read as they are iterated."""
    last = [""]

    def lines() -> Iterator[str]:
        for text in handle:
            last[0] = text
            yield text

    reader = csv.reader(lines())
    try:
        first = next(reader, None)
    except csv.Error as exc:
        raise ImportFileError(f"{path}: cannot read the header row ({exc})") from None
    except _UNREADABLE as exc:
        raise ImportFileError(f"{path}: cannot read the file ({exc})") from None
    if first is None:
        raise ImportFileError(f"{path}: the file is empty; expected a header row")
    header = [_shown(name) for name in first]

    def rows() -> Iterator[Row | Rejection]:
        width = len(header)
        previous_end = reader.line_num
        while True:
            line = previous_end + 1
            try:
                fields = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield Rejection(line, f"unreadable CSV row: {exc}", last[0][:_SHOWN])
                continue
            finally:
                previous_end = reader.line_num
            if not fields:
                continue
            if any(_SURROGATE.search(f) for f in fields):
                yield _broken_encoding(line, header, fields, _encoding(handle))
                continue
            if len(fields) != width:
                what = "truncated row" if len(fields) < width else "too many fields"
                reason = f"{what}: {len(fields)} fields where the header has {width}"
                yield Rejection(line, reason, ",".join(fields))
                continue
            yield (line, [f if f.strip() else None for f in fields])

    return header, rows()


def _broken_encoding(line: int, header: list[str], fields: list[str], encoding: str) -> Rejection:
    column = next(
        (name for name, value in zip(header, fields, strict=False) if _SURROGATE.search(value)),
        "?",
    )
    return Rejection(
        line, f"broken encoding: column {column} is not valid {encoding}", _shown(",".join(fields))
    )


def _jsonl_items(handle: TextIO) -> Iterator[tuple[int, dict[str, Any]] | Rejection]:
    """The objects of a JSON Lines file, each with its line, and its unreadable lines."""
    for line, text in enumerate(handle, 1):
        if not text.strip():
            continue
        if not text.isascii() and _SURROGATE.search(text):
            reason = f"broken encoding: not valid {_encoding(handle)}"
            yield Rejection(line, reason, _shown(text.rstrip("\r\n")))
            continue
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            truncated = not text.endswith(("\n", "\r"))
            reason = "truncated last line" if truncated else "not valid JSON"
            record = text.rstrip("\r\n")
            yield Rejection(line, f"{reason}: {exc.msg} at column {exc.colno}", record)
            continue
        if not isinstance(obj, dict):
            kind = type(obj).__name__
            yield Rejection(line, f"expected a JSON object, got {kind}", text.rstrip("\r\n"))
            continue
        yield (line, obj)


def _as_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    text = str(value)
    return text if text.strip() else None
