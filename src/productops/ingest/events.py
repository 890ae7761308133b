"""Product events as Segment, PostHog and Amplitude export them, read as `event` rows.

- `segment`: Segment's spec (track, identify, page), one call per line, as warehouse and
  S3 exports and the HTTP API hold them. id `segment:messageId`; ts `timestamp` (else
  `originalTimestamp`, `receivedAt`); user `userId` (else `anonymousId`); account
  `context.groupId`; name the track's `event`, or `identify` / `page`; properties the
  call's `properties` (identify: `traits`; page: its `name` added as `name`).
- `posthog`: PostHog's event export (batch exports to S3, JSON Lines). id `posthog:uuid`;
  ts `timestamp`; user `distinct_id`; account `properties.$groups.company`; name `event`;
  properties `properties`.
- `amplitude`: Amplitude's Export API (a zip of gzipped JSON Lines, one per hour). id
  `amplitude:$insert_id` (else `uuid`); ts `event_time` (UTC); user `user_id` (else
  `device_id`); account the first of `groups.company`; name `event_type`; properties
  `event_properties`.

An event another vendor type cannot give (a Segment `alias`, a line without an object) is
a `Rejection` with its reason; the landing quarantines it. Keys already qualified stay.
"""

from __future__ import annotations

import gzip
import json
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import pyarrow as pa

from productops.config import EventFormat
from productops.errors import ImportFileError
from productops.ingest.read import (
    BATCH_ROWS,
    FileStream,
    Rejection,
    _batched,
    _guarded,
    _jsonl_items,
    _opened,
    _text_schema,
)

__all__ = [
    "EVENT_COLUMNS",
    "SEGMENT_TYPES",
    "event_row",
    "event_rows",
    "open_events",
]

EVENT_COLUMNS = ("id", "ts", "user_id", "account_id", "name", "properties")
SEGMENT_TYPES = ("track", "identify", "page")
Row = tuple[str | None, ...]


def _text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _props(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False)


def _id(vendor: str, value: Any) -> str | None:
    text = _text(value)
    return None if text is None else f"{vendor}:{text}"


def _segment(event: dict[str, Any]) -> Row | str:
    kind = event.get("type")
    if kind not in SEGMENT_TYPES:
        return f"segment: type {kind!r} is not one of {', '.join(SEGMENT_TYPES)}"
    context = event.get("context")
    group = context.get("groupId") if isinstance(context, dict) else None
    if kind == "track":
        name, props = event.get("event"), event.get("properties")
    elif kind == "identify":
        name, props = "identify", event.get("traits")
    else:
        name, props = "page", dict(event.get("properties") or {})
        if event.get("name") is not None:
            props.setdefault("name", event["name"])
    return (
        _id("segment", event.get("messageId")),
        _text(event.get("timestamp") or event.get("originalTimestamp") or event.get("receivedAt")),
        _text(event.get("userId") or event.get("anonymousId")),
        _text(group),
        _text(name),
        _props(props),
    )


def _posthog(event: dict[str, Any]) -> Row | str:
    props = event.get("properties")
    if isinstance(props, str):  # Parquet exports hold properties as JSON text
        try:
            props = json.loads(props)
        except json.JSONDecodeError:
            return "posthog: properties is not a JSON object"
    groups = props.get("$groups") if isinstance(props, dict) else None
    return (
        _id("posthog", event.get("uuid")),
        _text(event.get("timestamp")),
        _text(event.get("distinct_id")),
        _text(groups.get("company") if isinstance(groups, dict) else None),
        _text(event.get("event")),
        _props(props),
    )


def _amplitude(event: dict[str, Any]) -> Row | str:
    groups = event.get("groups")
    company = groups.get("company") if isinstance(groups, dict) else None
    if isinstance(company, list):
        company = company[0] if company else None
    return (
        _id("amplitude", event.get("$insert_id") or event.get("uuid")),
        _text(event.get("event_time")),
        _text(event.get("user_id") or event.get("device_id")),
        _text(company),
        _text(event.get("event_type")),
        _props(event.get("event_properties")),
    )


_MAPPERS: dict[EventFormat, Callable[[dict[str, Any]], Row | str]] = {
    EventFormat.segment: _segment,
    EventFormat.posthog: _posthog,
    EventFormat.amplitude: _amplitude,
}


def event_row(kind: EventFormat, event: dict[str, Any]) -> Row | str:
    """The `event` columns (`EVENT_COLUMNS`, as text) of one `kind` event, or why it has none.

    >>> event_row(EventFormat.segment, {"type": "track", "event": "Signed Up", "messageId": "m1",
    ...     "timestamp": "2024-01-02T03:04:05Z", "userId": "u1"})
    ('segment:m1', '2024-01-02T03:04:05Z', 'u1', None, 'Signed Up', None)
    """
    return _MAPPERS[kind](event)


def event_rows(
    kind: EventFormat, items: Iterable[tuple[int, Any] | Rejection]
) -> Iterator[tuple[int, Row] | Rejection]:
    """Each numbered event of `items` as its row, or a `Rejection` with the reason."""
    mapper = _MAPPERS[kind]
    for item in items:
        if isinstance(item, Rejection):
            yield item
            continue
        line, event = item
        row = mapper(event) if isinstance(event, dict) else "expected a JSON object"
        if isinstance(row, str):
            yield Rejection(line, row, json.dumps(event, ensure_ascii=False)[:1000])
        else:
            yield line, row


def _table(rows: list[tuple[int, Row]]) -> pa.Table:
    columns = [pa.array([r[i] for _, r in rows], pa.string()) for i in range(len(EVENT_COLUMNS))]
    lines = pa.array([line for line, _ in rows], pa.int64())
    return pa.Table.from_arrays([*columns, lines], schema=_text_schema(EVENT_COLUMNS))


def _zip_items(path: Path) -> Iterator[tuple[int, dict[str, Any]] | Rejection]:
    """The events of an Amplitude export: each gzipped JSON Lines member in name order,
    numbered across the zip."""
    number = 0
    with zipfile.ZipFile(path) as archive:
        for member in sorted(n for n in archive.namelist() if not n.endswith("/")):
            with archive.open(member) as raw, gzip.open(raw, "rt", encoding="utf-8") as text:
                for item in _jsonl_items(text):
                    number += 1
                    if isinstance(item, Rejection):
                        yield Rejection(number, f"{member}: {item.reason}", item.record)
                    else:
                        yield number, item[1]


@contextmanager
def open_events(
    path: Path, kind: EventFormat, batch_rows: int = BATCH_ROWS
) -> Iterator[FileStream]:
    """`path` read as `kind` events, in batches of `event` columns (text) and `_line`.

    Segment and PostHog files are JSON Lines, gzipped or not; Amplitude's a zip of gzipped
    JSON Lines, whose events are numbered across the zip (`event N`)."""
    with ExitStack() as stack:
        if kind == EventFormat.amplitude:
            if not zipfile.is_zipfile(path):
                raise ImportFileError(f"{path}: not a zip file; Amplitude's export is a zip")
            items: Iterable[Any] = _zip_items(path)
            label = "event"
        else:
            items = _jsonl_items(_opened(stack, path))
            label = "line"
        rows = _guarded(path, _unzipped(path, event_rows(kind, items)))
        yield FileStream(
            _text_schema(EVENT_COLUMNS),
            dict.fromkeys(EVENT_COLUMNS, True),
            [],
            _batched(rows, batch_rows, _table),
            line_label=label,
        )


def _unzipped(path: Path, items: Iterator[Any]) -> Iterator[Any]:
    """`items`, a damaged zip member an `ImportFileError`."""
    try:
        yield from items
    except (zipfile.BadZipFile, gzip.BadGzipFile, zlib.error, UnicodeDecodeError) as exc:
        raise ImportFileError(f"{path}: cannot read the export ({exc})") from None

