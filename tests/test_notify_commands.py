"""`productops notify ...` on a workspace with a Slack channel pointed at a real receiver on
127.0.0.1: a test message, the outbox and its dead letters (sent again), mutes; errors in one line without
the channel's secret."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from productops.cli import app
from productops.config import Config, NotifySettings
from productops.services import Actor
from productops.services.users import add_user
from productops.workspace import Workspace
from tests.channels.receivers import http_receiver

runner = CliRunner()
SECRET_PATH = "/services/T0001/B0002/XXXXsecretXXXX"


def _workspace(root: Path) -> Path:
    settings = NotifySettings.model_validate(
        {
            "channels": {"team-slack": {"kind": "slack", "url_env": "SLACK_URL"}},
            "subscriptions": [{"channel": "team-slack", "org": True}],
            "max_attempts": 1,
        }
    )
    ws = Workspace.init(root, Config(notify=settings))
    add_user(ws, Actor("cli:test"), "ana")
    ws.close()
    return root


def _run(root: Path, *args: str, code: int = 0) -> str:
    result = runner.invoke(app, ["-w", str(root), *args])
    assert result.exit_code == code, result.output
    return result.output


def test_notify_test_sends_a_sample_to_the_channel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _workspace(tmp_path / "ws")
    with http_receiver() as receiver:
        monkeypatch.setenv("SLACK_URL", receiver.url + SECRET_PATH)
        out = _run(root, "notify", "test", "team-slack")
    [got] = receiver.received
    payload = json.loads(got.body)
    assert payload["blocks"][0]["text"]["text"] == "productops test message for team-slack"
    assert out.startswith("sent a test message to team-slack (key test:team-slack:")


def test_a_refused_test_is_one_line_without_the_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _workspace(tmp_path / "ws")
    with http_receiver() as receiver:
        monkeypatch.setenv("SLACK_URL", receiver.url + SECRET_PATH)
        receiver.replies.append((403, {}))
        out = _run(root, "notify", "test", "team-slack", code=1)
    assert "answered 403" in out
    assert "XXXXsecretXXXX" not in out
    assert len(out.strip().splitlines()) == 1
    assert "unknown-channel" in _run(root, "notify", "test", "unknown-channel", code=1)


def test_a_dead_message_is_listed_with_its_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _workspace(tmp_path / "ws")
    ws = Workspace.open(root)
    try:
        ws.store.sql(
            "INSERT INTO data_incident (id, check_id, target, status, opened_at, summary, source, "
            "ingested_at) VALUES ('productops:incident-x', 'productops:fresh', 'work_item', 'open', "
            "now(), '3 stale rows', 'productops', now())"
        )
    finally:
        ws.close()
    assert "1 messages queued" in _run(root, "notify", "alerts")
    with http_receiver() as receiver:
        monkeypatch.setenv("SLACK_URL", receiver.url + SECRET_PATH)
        receiver.replies.append((500, {}))
        _run(root, "notify", "send")
    [dead] = json.loads(_run(root, "notify", "outbox", "--dead", "-f", "json"))
    assert dead["subject"] == "Data check fresh failed on work_item"
    assert dead["status"] == "dead"
    assert "answered 500" in dead["last_error"]
    assert json.loads(_run(root, "notify", "outbox", "--status", "pending", "-f", "json")) == []

    # the channel mended, the admin sends it again: pending, tries counted afresh, then sent
    [again] = json.loads(_run(root, "notify", "requeue", dead["id"], "-f", "json"))
    assert (again["status"], again["attempts"], again["last_error"]) == (
        "pending",
        0,
        dead["last_error"],
    )
    with http_receiver() as receiver:
        monkeypatch.setenv("SLACK_URL", receiver.url + SECRET_PATH)
        assert "1 sent, 0 dead" in _run(root, "notify", "send")
        [delivered] = receiver.received
    assert b"Data check fresh failed on work_item" in delivered.body
    [sent] = json.loads(_run(root, "notify", "outbox", "--status", "sent", "-f", "json"))
    assert sent["id"] == dead["id"]
    # a message no longer dead, and one that does not exist: one line each, nothing written
    out = _run(root, "notify", "requeue", dead["id"], code=1)
    assert "is sent: only a dead message is requeued" in out
    assert len(out.strip().splitlines()) == 1
    assert "no message 'nope'" in _run(root, "notify", "requeue", "nope", code=1)
    ws = Workspace.open(root)
    try:
        rows = ws.store.sql(
            "SELECT action FROM audit_event WHERE object = ?", ["outbox:" + dead["id"]]
        )
    finally:
        ws.close()
    assert sorted(r[0] for r in rows) == ["notify.dead", "notify.requeue", "notify.sent"]


def test_mute_and_unmute(tmp_path: Path) -> None:
    root = _workspace(tmp_path / "ws")
    assert (
        _run(root, "notify", "mute", "ana", "--kind", "digest").strip() == "ana has muted: digest"
    )
    assert _run(root, "notify", "unmute", "ana").strip() == "ana has muted: nothing"
    assert "kind 'weekly'" in _run(root, "notify", "mute", "ana", "--kind", "weekly", code=1)
