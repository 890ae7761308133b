"""Product events as Segment, PostHog and Amplitude export them, read as `event` rows.

- `segment`: Segment's spec (track, identify, page), one call per line, as warehouse and
  S3 exports and the HTTP API hold them. id `segment:messageId`; ts `timestamp` (else
  `originalTimestamp`, `receivedAt`); user `userId` (else `anonymousId`); account
  `context.groupId`; name the track's `event`, or `identify` / `page`; properties the
  call's `properties` (identify: `traits`; page: with its `name` as `name`).
- `posthog`: PostHog's event export (batch exports to S3, JSON Lines). id `posthog:uuid`;
  ts `timestamp`; user `distinct_id`; account `properties.$groups.company`; name `event`;
  properties `properties` (an object, or JSON text as in Parquet exports).
- `amplitude`: Amplitude's Export API (a zip of gzipped JSON Lines, one per hour). id
  `amplitude:$insert_id` (else `uuid`); ts `event_time` (UTC); user `user_id` (else
  `device_id`); account the first of `groups.company`; name `event_type`; properties
  `event_properties`.

Python only splits the lines; DuckDB parses the JSON and maps it (`_FORMATS`), a batch at
a time, so a file and the Segment endpoint map an event alike. A line that is no event (not
JSON, a Segment `alias`) is a `Rejection` with its reason, which the landing quarantines.
"""

from __future__ import annotations

import gzip
import json
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any, TextIO, cast

import pyarrow as pa
import pyarrow.compute as pc

from productops.config import EventFormat
from productops.engine import Store
from productops.errors import ImportFileError
from productops.ingest.coerce import literal
from productops.ingest.read import (
    BATCH_ROWS,
    LINE,
    Batch,
    FileStream,
    Rejection,
    guarded,
    text_handle,
    text_schema,
)

__all__ = ["EVENT_COLUMNS", "SEGMENT_TYPES", "map_events", "open_events", "segment_row"]

EVENT_COLUMNS = ("id", "ts", "user_id", "account_id", "name", "properties")
SEGMENT_TYPES = ("track", "identify", "page")
_LINES = text_schema(["raw"])
# JSON as DuckDB writes what it extracts: compact, not ASCII-escaped.
_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _text(value: Any) -> str | None:
    if value.__class__ is str:
        return value or None
    return None if value is None or value == "" else _ENCODE(value)


def _json_type(value: Any) -> str:
    """DuckDB's name of the JSON type of `value` (`json_type`), in lower case."""
    if isinstance(value, bool | None):
        return "null" if value is None else "boolean"
    if isinstance(value, int):
        return "ubigint" if value >= 0 else "bigint"
    return {list: "array", str: "varchar", float: "double"}.get(type(value), "object")


def segment_row(call: Any) -> tuple[str | None, ...] | str:
    """The `event` columns (text) of one Segment call, as `map_events` gives them; or why it
    is no event. The Segment endpoint's mapping: a batch of 100 maps faster in Python than
    DuckDB plans the query (tests/ingest/test_event_formats.py checks they agree).

    >>> segment_row({"type": "track", "event": "Signed Up", "messageId": "m1",
    ...     "timestamp": "2024-01-02T03:04:05Z", "userId": "u1", "properties": {"plan": "team"}})
    ('segment:m1', '2024-01-02T03:04:05Z', 'u1', None, 'Signed Up', '{"plan":"team"}')
    """
    if not isinstance(call, dict):
        return f"expected a JSON object, got {_json_type(call)}"
    kind = call.get("type")
    if kind not in SEGMENT_TYPES:
        shown = "None" if kind is None else f"'{_text(kind)}'"
        return f"segment: type {shown} is not one of {', '.join(SEGMENT_TYPES)}"
    context = call.get("context")
    if kind == "track":
        name, props = _text(call.get("event")), call.get("properties")
    elif kind == "identify":
        name, props = "identify", call.get("traits")
    else:
        name, props = "page", call.get("properties")
        if call.get("name") is not None:
            props = {"name": call["name"], **(props if isinstance(props, dict) else {})}
        elif props is None:
            props = {}
    message = _text(call.get("messageId"))
    return (
        None if message is None else f"segment:{message}",
        _text(call.get("timestamp")) or _text(call.get("originalTimestamp"))
        or _text(call.get("receivedAt")),
        _text(call.get("userId")) or _text(call.get("anonymousId")),
        _text(context.get("groupId")) if isinstance(context, dict) else None,
        name,
        None if props is None else _ENCODE(props),
    )  # fmt: skip


def _paths(paths: dict[str, str]) -> str:
    """A list of JSON paths, quoted for SQL."""
    return "[" + ", ".join(literal(p) for p in paths.values()) + "]"


class _Format:
    """How one vendor's object maps to `event`: the text (`texts`) and JSON (`objects`) values
    it reads, each extracted once per row, and SQL over them (`{name}`: the text, '' as none;
    `{@name}`: the JSON value): why an object is no event ('' if it is one), then the columns."""

    def __init__(
        self, texts: dict[str, str], objects: dict[str, str], reason: str, *columns: str
    ) -> None:
        names = {k: f"NULLIF(s[{i}], '')" for i, k in enumerate(texts, 1)}
        names |= {f"@{k}": f"o[{i}]" for i, k in enumerate(objects, 1)}
        self.extract = (
            f"json_extract_string(j, {_paths(texts)}) AS s, json_extract(j, {_paths(objects)}) AS o"
        )
        self.reason = reason.format_map(names)
        self.columns = [c.format_map(names) for c in columns]


def _json(expr: str) -> str:
    """JSON `expr` as text, JSON null as none."""
    return f"NULLIF(CAST({expr} AS VARCHAR), 'null')"


_TYPES = ", ".join(literal(t) for t in SEGMENT_TYPES)
_POSTHOG_PROPS = (
    "CASE WHEN json_type({@properties}) = 'VARCHAR' THEN TRY_CAST({@properties}->>'$' AS JSON) "
    "ELSE {@properties} END"
)
_FORMATS = {
    EventFormat.segment: _Format(
        {"type": "$.type", "id": "$.messageId", "ts": "$.timestamp", "original": "$.originalTimestamp",
         "received": "$.receivedAt", "user": "$.userId", "anonymous": "$.anonymousId",
         "group": "$.context.groupId", "event": "$.event"},
        {"properties": "$.properties", "traits": "$.traits", "name": "$.name"},
        f"CASE WHEN {{type}} IS NULL OR {{type}} NOT IN ({_TYPES}) THEN 'segment: type ' || "
        f"COALESCE('''' || {{type}} || '''', 'None') || ' is not one of "
        f"{', '.join(SEGMENT_TYPES)}' ELSE '' END",
        "'segment:' || {id}",
        "COALESCE({ts}, {original}, {received})",
        "COALESCE({user}, {anonymous})",
        "{group}",
        "CASE {type} WHEN 'track' THEN {event} ELSE {type} END",
        _json(
            "CASE {type} WHEN 'track' THEN {@properties} WHEN 'identify' THEN {@traits} "
            "WHEN 'page' THEN CASE WHEN {@name} IS NULL THEN COALESCE({@properties}, '{{}}') ELSE "
            "json_merge_patch(json_object('name', {@name}), COALESCE({@properties}, '{{}}')) END END"
        ),
    ),
    EventFormat.posthog: _Format(
        {"id": "$.uuid", "ts": "$.timestamp", "user": "$.distinct_id", "event": "$.event"},
        {"properties": "$.properties"},
        "CASE WHEN json_type({@properties}) = 'VARCHAR' AND NOT json_valid({@properties}->>'$') "
        "THEN 'posthog: properties is not a JSON object' ELSE '' END",
        "'posthog:' || {id}",
        "{ts}",
        "{user}",
        f"NULLIF(json_extract_string({_POSTHOG_PROPS}, '$.\"$groups\".company'), '')",
        "{event}",
        _json(_POSTHOG_PROPS),
    ),
    EventFormat.amplitude: _Format(
        {"insert": '$."$insert_id"', "uuid": "$.uuid", "ts": "$.event_time", "user": "$.user_id",
         "device": "$.device_id", "event": "$.event_type"},
        {"company": "$.groups.company", "properties": "$.event_properties"},
        "''",
        "'amplitude:' || COALESCE({insert}, {uuid})",
        "{ts}",
        "COALESCE({user}, {device})",
        "NULLIF(CASE json_type({@company}) WHEN 'ARRAY' THEN {@company}->>0 "
        "ELSE {@company}->>'$' END, '')",
        "{event}",
        _json("{@properties}"),
    ),
}  # fmt: skip


def _mapping_sql(kind: EventFormat) -> str:
    found = _FORMATS[kind]
    named = ", ".join(f"{c} AS {n}" for c, n in zip(found.columns, EVENT_COLUMNS, strict=True))
    return (
        f"SELECT {LINE}, raw, CASE WHEN j IS NULL THEN 'not valid JSON' WHEN json_type(j) <> "
        f"'OBJECT' THEN 'expected a JSON object, got ' || lower(json_type(j)) ELSE {found.reason} "
        f"END AS _reason, {named} FROM (SELECT {LINE}, raw, j, {found.extract} FROM "
        f"(SELECT {LINE}, raw, TRY_CAST(raw AS JSON) AS j FROM _lines))"
    )


def map_events(store: Store, kind: EventFormat, lines: pa.Table) -> Batch:
    """`lines` (`_line`, `raw`: one JSON text each) mapped to `event` columns (text) and
    `_line`; those that are no event as rejections with their reason."""
    with store.staged("_lines", lines):
        mapped = store.arrow(_mapping_sql(kind))
    good = pc.equal(mapped.column("_reason"), pa.scalar(""))
    bad = mapped.filter(pc.invert(good))
    rejected = [
        Rejection(cast(int, line), str(reason), str(raw))
        for line, reason, raw in zip(
            bad.column(LINE).to_pylist(),
            bad.column("_reason").to_pylist(),
            bad.column("raw").to_pylist(),
            strict=True,
        )
    ]
    rows = mapped.filter(good).select([*EVENT_COLUMNS, LINE])
    return Batch(rows.cast(text_schema(EVENT_COLUMNS)), rejected)


def _text_lines(handle: TextIO, start: int = 0) -> Iterator[tuple[int, str] | Rejection]:
    """Numbered non-blank lines of `handle`; a line with bytes not valid in its encoding
    (read as lone surrogates) a `Rejection`."""
    for number, text in enumerate(handle, start + 1):
        if not text.strip():
            continue
        line = text.rstrip("\r\n")
        if not text.isascii():
            try:
                line.encode()
            except UnicodeEncodeError:
                yield Rejection(number, "broken encoding: not valid UTF-8", line[:1000])
                continue
        yield number, line


def _zip_lines(path: Path) -> Iterator[tuple[int, str] | Rejection]:
    """The lines of an Amplitude export: each gzipped member in name order, numbered across
    the zip (so a line's number is the event's place in the export)."""
    number = 0
    with zipfile.ZipFile(path) as archive:
        for member in sorted(n for n in archive.namelist() if not n.endswith("/")):
            with archive.open(member) as raw, gzip.open(raw, "rt", encoding="utf-8") as text:
                for line in text:
                    number += 1
                    if line.strip():
                        yield number, line.rstrip("\r\n")


def _batches(
    store: Store, kind: EventFormat, items: Iterable[tuple[int, str] | Rejection], size: int
) -> Iterator[Batch]:
    lines: list[tuple[int, str]] = []
    rejected: list[Rejection] = []

    def flush() -> Batch:
        table = pa.Table.from_arrays(
            [
                pa.array([t for _, t in lines], pa.string()),
                pa.array([n for n, _ in lines], pa.int64()),
            ],
            schema=_LINES,
        )
        batch = map_events(store, kind, table)
        return Batch(batch.data, [*rejected, *batch.rejected])

    for item in items:
        if isinstance(item, Rejection):
            rejected.append(item)
        else:
            lines.append(item)
        if len(lines) + len(rejected) >= size:
            yield flush()
            lines, rejected = [], []
    yield flush()


@contextmanager
def open_events(
    store: Store, path: Path, kind: EventFormat, batch_rows: int = BATCH_ROWS
) -> Iterator[FileStream]:
    """`path` read as `kind` events, in batches of `event` columns (text) and `_line`.

    Segment and PostHog files are JSON Lines, gzipped or not; Amplitude's a zip of gzipped
    JSON Lines, whose events are numbered across the zip (`event N`)."""
    with ExitStack() as stack:
        if kind == EventFormat.amplitude:
            if not zipfile.is_zipfile(path):
                raise ImportFileError(f"{path}: not a zip file; Amplitude's export is a zip")
            items: Iterable[tuple[int, str] | Rejection] = _zip_lines(path)
            label = "event"
        else:
            items = _text_lines(text_handle(stack, path))
            label = "line"
        read = guarded(path, _unzipped(path, items))
        yield FileStream(
            text_schema(EVENT_COLUMNS),
            dict.fromkeys(EVENT_COLUMNS, True),
            [],
            _batches(store, kind, read, batch_rows),
            line_label=label,
        )


def _unzipped(
    path: Path, items: Iterable[tuple[int, str] | Rejection]
) -> Iterator[tuple[int, str] | Rejection]:
    """`items`, a damaged zip member an `ImportFileError`."""
    try:
        yield from items
    except (zipfile.BadZipFile, gzip.BadGzipFile, zlib.error, UnicodeDecodeError) as exc:
        raise ImportFileError(f"{path}: cannot read the export ({exc})") from None
