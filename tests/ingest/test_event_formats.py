"""Product events from Segment, PostHog and Amplitude exports land in `event`: each vendor's
fields in the right columns (values read by hand from tests/fixtures/events), re-importing
changes nothing, and what is no event is quarantined with its reason."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from productops.config import EventFormat
from productops.errors import ImportFileError, UsageError
from productops.ingest import import_file
from productops.ingest.events import EVENT_COLUMNS, map_events, segment_row
from productops.ingest.read import LINE
from productops.workspace import Workspace

FIXTURES = Path(__file__).parents[1] / "fixtures" / "events"


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace.init(tmp_path / "ws")


def _events(ws: Workspace) -> dict[str, dict[str, Any]]:
    rows = ws.store.sql(
        "SELECT id, ts, user_id, account_id, name, properties, source FROM event ORDER BY id"
    )
    return {
        r[0]: {
            "ts": r[1].astimezone(UTC),
            "user_id": r[2],
            "account_id": r[3],
            "name": r[4],
            "properties": None if r[5] is None else json.loads(r[5]),
            "source": r[6],
        }
        for r in rows
    }


def _quarantined(ws: Workspace) -> dict[int, str]:
    return dict(ws.store.sql("SELECT line, reason FROM quarantine WHERE table_name = 'event'"))


def test_segment_track_identify_page(ws: Workspace) -> None:
    counts = import_file(ws.store, "event", FIXTURES / "segment.jsonl", kind=EventFormat.segment)
    assert (counts.landed, counts.quarantined) == (3, 3)
    events = _events(ws)
    assert events["segment:ajs-next-1714040000000-3f9c2d1e"] == {
        "ts": datetime(2024, 4, 25, 10, 13, 20, tzinfo=UTC),
        "user_id": "user-4711",
        "account_id": "acme",  # context.groupId
        "name": "Order Completed",
        "properties": {"order_id": "50314b8e9bcf000000000000", "revenue": 25.0, "currency": "USD"},
        "source": "segment",
    }
    identify = events["segment:ajs-next-1714040001000-a0b1c2d3"]
    assert (identify["name"], identify["properties"]) == (
        "identify",
        {"plan": "business", "logins": 5},
    )
    page = events["segment:ajs-next-1714040002000-deadbeef"]
    # no userId: the anonymousId; no timestamp: originalTimestamp, +02:00 read as UTC
    assert page["user_id"] == "b2c4a1e0-1f4d-4c1e-9d1a-7e0c5b9a2f31"
    assert page["ts"] == datetime(2024, 4, 25, 10, 13, 22, tzinfo=UTC)
    assert (page["name"], page["properties"]["name"], page["properties"]["path"]) == (
        "page", "Pricing", "/pricing"
    )  # fmt: skip
    assert _quarantined(ws) == {
        4: "segment: type 'alias' is not one of track, identify, page",
        5: "missing key id",
        6: 'ts: cannot read "yesterday" as timestamp',
    }


def test_posthog_export(ws: Workspace) -> None:
    counts = import_file(ws.store, "event", FIXTURES / "posthog.jsonl", kind=EventFormat.posthog)
    assert (counts.landed, counts.quarantined) == (2, 1)
    pageview = _events(ws)["posthog:018f1a2b-3c4d-7e5f-8a9b-0c1d2e3f4a5b"]
    assert pageview["ts"] == datetime(2024, 4, 25, 10, 15, 0, 123000, tzinfo=UTC)
    assert (pageview["user_id"], pageview["account_id"], pageview["name"]) == (
        "user-4711", "acme", "$pageview"
    )  # fmt: skip
    assert pageview["properties"]["$current_url"] == "https://example.com/app"
    assert _quarantined(ws) == {3: "missing required value name"}


def test_amplitude_export_zip(ws: Workspace) -> None:
    counts = import_file(ws.store, "event", FIXTURES / "amplitude.zip", kind=EventFormat.amplitude)
    assert (counts.landed, counts.quarantined) == (2, 1)
    events = _events(ws)
    played = events["amplitude:5f0adeff-6668-4427-8d02-57d803a2b841"]
    assert played == {
        "ts": datetime(2024, 4, 25, 10, 0, 5, 123000, tzinfo=UTC),
        "user_id": "user-4711",
        "account_id": "acme",
        "name": "Song Played",
        "properties": {"genre": "jazz", "duration_s": 211},
        "source": "amplitude",
    }
    # no $insert_id: the uuid; no user_id: the device_id
    session = events["amplitude:a5b0b4a6-02c4-11ef-b3a1-0a58a9feac03"]
    assert session["user_id"] == "C8F9E604-F01A-4BD9-95C6-8E5357DF265D"
    # events are numbered across the zip's members: the third is the second hour's first
    assert _quarantined(ws) == {3: "missing required value name"}


@pytest.mark.parametrize(
    ("name", "kind"),
    [("segment.jsonl", "segment"), ("posthog.jsonl", "posthog"), ("amplitude.zip", "amplitude")],
)
def test_reimporting_changes_nothing(ws: Workspace, name: str, kind: str) -> None:
    first = import_file(ws.store, "event", FIXTURES / name, kind=EventFormat(kind))
    before = ws.store.sql("SELECT count(*) FROM quarantine")[0][0]
    again = import_file(ws.store, "event", FIXTURES / name, kind=EventFormat(kind))
    assert (again.landed, again.updated, again.unchanged) == (0, 0, first.landed)
    assert ws.store.sql("SELECT count(*) FROM event")[0][0] == first.landed
    assert ws.store.sql("SELECT count(*) FROM quarantine")[0][0] == before


def test_a_repeated_message_id_is_one_event(ws: Workspace, tmp_path: Path) -> None:
    call = {
        "type": "track",
        "event": "Signed Up",
        "messageId": "m-1",
        "timestamp": "2024-01-01T00:00:00Z",
    }
    path = tmp_path / "twice.jsonl"
    path.write_text(json.dumps(call) + "\n" + json.dumps(call) + "\n")
    counts = import_file(ws.store, "event", path, kind=EventFormat.segment)
    assert (counts.landed, counts.quarantined) == (1, 1)
    assert _quarantined(ws) == {2: "duplicate key in this file, first at line 1"}


def test_amplitude_needs_a_zip(ws: Workspace) -> None:
    with pytest.raises(ImportFileError, match="not a zip file"):
        import_file(ws.store, "event", FIXTURES / "posthog.jsonl", kind=EventFormat.amplitude)


def test_event_formats_fill_only_event(ws: Workspace) -> None:
    with pytest.raises(UsageError, match="import them into event"):
        import_file(ws.store, "team", FIXTURES / "segment.jsonl", kind=EventFormat.segment)


def test_the_endpoint_maps_segment_calls_as_a_file_import_does(ws: Workspace) -> None:
    """`segment_row` (the endpoint's) and `map_events` (a file's) give the same columns and
    reasons, on the fixture and on edge cases: numbers as ids, empty strings, a page whose
    properties name it too, unicode, JSON null properties, a call that is no object."""
    texts = (FIXTURES / "segment.jsonl").read_text().splitlines()
    texts += [
        json.dumps({"type": "page", "name": "Home", "messageId": 7, "userId": "", "anonymousId": "a",
                    "timestamp": "2024-01-01T00:00:00Z", "properties": {"name": "Über", "n": 1e-7}}),
        json.dumps({"type": "track", "event": "X", "messageId": "m", "properties": None}),
        json.dumps({"type": "page", "messageId": "p"}),
        json.dumps(["not", "an", "object"]),
        json.dumps({"messageId": "no-type"}),
    ]  # fmt: skip
    lines = pa.table({LINE: pa.array(range(1, len(texts) + 1), pa.int64()), "raw": texts})
    mapped = map_events(ws.store, EventFormat.segment, lines)
    by_sql: dict[int, Any] = {r.line: r.reason for r in mapped.rejected}
    for row in mapped.data.to_pylist():
        by_sql[row.pop(LINE)] = tuple(row[c] for c in EVENT_COLUMNS)
    by_python = {n: segment_row(json.loads(t)) for n, t in enumerate(texts, 1)}
    for n, got in by_python.items():
        want = by_sql[n]
        if isinstance(got, tuple) and isinstance(want, tuple):  # JSON as JSON, not as text
            got = (*got[:5], None if got[5] is None else json.loads(got[5]))
            want = (*want[:5], None if want[5] is None else json.loads(want[5]))
        assert got == want, n
    assert by_python[7] == (
        "segment:7", "2024-01-01T00:00:00Z", "a", None, "page", '{"name":"Über","n":1e-07}'
    )  # fmt: skip
    assert by_python[10] == "expected a JSON object, got array"
