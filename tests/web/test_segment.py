"""The Segment-compatible endpoint: a write key in HTTP Basic, `{"success": true}`, Segment's
size limits, dedupe by messageId across requests and the file import, quarantine with the
reason, and one audit row per request (as `writekey:NAME`), through the ASGI app."""

from __future__ import annotations

import asyncio
import base64
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from productops.config import EventFormat
from productops.ingest import import_file
from productops.services.audit import events as audit_events
from productops.web.app import create_app
from productops.workspace import Workspace

FIXTURES = Path(__file__).parents[1] / "fixtures" / "events"
KEY = "wk_3f9c2d1e-segment-test"
ENV = "PRODUCTOPS_TEST_SEGMENT_KEY"


def _basic(key: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}


def post(app: FastAPI, path: str, body: Any, headers: dict[str, str]) -> httpx.Response:
    async def run() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            content = body if isinstance(body, bytes) else json.dumps(body).encode()
            return await client.post(path, content=content, headers=headers)

    return asyncio.run(run())


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "ws"
    Workspace.init(root).close()
    toml = root / "productops.toml"
    table = "[server.segment_write_keys]\n"
    toml.write_text(toml.read_text().replace(table, f'{table}web = "{ENV}"\n'))
    monkeypatch.setenv(ENV, KEY)
    return root


def _track(message_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "track",
        "event": "Order Completed",
        "userId": "user-4711",
        "messageId": message_id,
        "timestamp": "2024-04-25T10:13:20.000Z",
        "properties": {"revenue": 25.0},
    } | extra


def _rows(root: Path, sql: str) -> list[tuple[Any, ...]]:
    ws = Workspace.open(root)
    try:
        return ws.store.sql(sql)
    finally:
        ws.close()


def test_each_call_lands_and_is_answered_as_segment_does(root: Path) -> None:
    app = create_app(root)
    call = {k: v for k, v in _track("m-1").items() if k != "type"}  # the path says track
    response = post(app, "/v1/track", call, _basic(KEY))
    assert (response.status_code, response.json()) == (200, {"success": True})
    identify = {"userId": "user-4711", "messageId": "m-2", "timestamp": "2024-04-25T10:00:00Z",
                "traits": {"plan": "business"}}  # fmt: skip
    assert post(app, "/v1/identify", identify, _basic(KEY)).status_code == 200
    page = {"name": "Pricing", "anonymousId": "a-1", "messageId": "m-3",
            "timestamp": "2024-04-25T10:00:00Z", "properties": {"path": "/pricing"}}  # fmt: skip
    assert post(app, "/v1/page", page, _basic(KEY)).status_code == 200
    rows = _rows(root, "SELECT id, user_id, name, properties, source FROM event ORDER BY id")
    assert rows == [
        ("segment:m-1", "user-4711", "Order Completed", '{"revenue":25.0}', "segment"),
        ("segment:m-2", "user-4711", "identify", '{"plan":"business"}', "segment"),
        ("segment:m-3", "a-1", "page", '{"name":"Pricing","path":"/pricing"}', "segment"),
    ]


def test_a_batch_is_one_audited_write_and_bad_calls_are_quarantined(root: Path) -> None:
    app = create_app(root)
    calls = [_track(f"m-{i}") for i in range(5)]
    calls += [_track("m-bad", timestamp="not a time"), {"type": "alias", "messageId": "m-a"}]
    response = post(app, "/v1/batch", {"batch": calls}, _basic(KEY))
    assert (response.status_code, response.json()) == (200, {"success": True})
    assert _rows(root, "SELECT count(*) FROM event") == [(5,)]
    assert _rows(root, "SELECT file, line, reason FROM quarantine ORDER BY line") == [
        ("POST /v1/batch", 6, 'ts: cannot read "not a time" as timestamp'),
        ("POST /v1/batch", 7, "segment: type 'alias' is not one of track, identify, page"),
    ]
    ws = Workspace.open(root)
    try:
        trail = [e for e in audit_events(ws) if e.action == "event.receive"]
    finally:
        ws.close()
    assert [(e.actor, e.after) for e in trail] == [
        (
            "writekey:web",
            {"received": 7, "landed": 5, "updated": 0, "unchanged": 0, "quarantined": 2},
        )
    ]


def test_events_are_deduplicated_across_requests_and_the_file_import(root: Path) -> None:
    app = create_app(root)
    # the fixture's first event, as Segment's library would have sent it
    sent = json.loads((FIXTURES / "segment.jsonl").read_text().splitlines()[0])
    assert post(app, "/v1/batch", {"batch": [sent]}, _basic(KEY)).status_code == 200
    assert post(app, "/v1/track", sent, _basic(KEY)).status_code == 200  # a retry
    ws = Workspace.open(root)
    try:
        counts = import_file(
            ws.store, "event", FIXTURES / "segment.jsonl", kind=EventFormat.segment
        )
    finally:
        ws.close()
    assert (counts.landed, counts.unchanged) == (2, 1)
    assert _rows(root, "SELECT count(*) FROM event WHERE id LIKE '%3f9c2d1e'") == [(1,)]
    assert _rows(root, "SELECT count(*) FROM event") == [(3,)]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        _basic("wrong-key"),
        {"Authorization": "Basic !!!not-base64"},
        {"Authorization": f"Bearer {KEY}"},  # a write key is no API token
    ],
    ids=["no key", "wrong key", "not base64", "bearer"],
)
def test_a_sender_without_the_write_key_is_refused(root: Path, headers: dict[str, str]) -> None:
    app = create_app(root)
    for path in ("/v1/track", "/v1/identify", "/v1/page", "/v1/batch"):
        response = post(app, path, {"batch": [_track("m-1")]} | _track("m-1"), headers)
        assert response.status_code == 401, path
        assert response.json()["error"]["code"] == "unauthenticated"
        assert response.headers["WWW-Authenticate"] == 'Basic realm="segment"'  # not Bearer
        assert KEY not in response.text
    assert _rows(root, "SELECT count(*) FROM event") == [(0,)]
    assert _rows(root, "SELECT count(*) FROM audit_event") == [(0,)]


def test_a_key_whose_variable_is_unset_opens_nothing(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ENV)
    response = post(create_app(root), "/v1/track", _track("m-1"), _basic(""))
    assert response.status_code == 401


def test_segment_size_limits(root: Path) -> None:
    app = create_app(root)
    big = _track("m-big", properties={"blob": "x" * 33_000})
    response = post(app, "/v1/batch", {"batch": [_track("m-1"), big]}, _basic(KEY))
    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith(
        "POST /v1/batch: call 2 is 33"
    )  # bytes over 32768, and nothing stored
    calls = [_track(f"m-{i}", properties={"blob": "x" * 20_000}) for i in range(26)]
    response = post(app, "/v1/batch", {"batch": calls}, _basic(KEY))
    assert response.status_code == 413
    assert "over Segment's limit of 512000 bytes per batch" in response.json()["error"]["message"]
    assert _rows(root, "SELECT count(*) FROM event") == [(0,)]


def test_a_body_that_is_not_a_batch_is_refused(root: Path) -> None:
    app = create_app(root)
    assert post(app, "/v1/batch", b"{not json", _basic(KEY)).status_code == 400
    response = post(app, "/v1/batch", {"calls": []}, _basic(KEY))
    assert (response.status_code, response.json()["error"]["code"]) == (400, "invalid")
