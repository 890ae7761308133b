"""A sender killed in the middle of a send (SIGKILL while the receiver holds its request) and
started again: every message arrives, each is marked sent once, and the receiver, which shows
each idempotency key once, gets again only the message that was in flight."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

from productops.channels import Message
from productops.services import Actor
from productops.services.notify import outbox, queue
from productops.workspace import Workspace
from tests.channels.receivers import Receiver, http_receiver
from tests.services.test_notify import make_workspace, notify_settings

SRC = Path(__file__).resolve().parents[2] / "src"


def _sender(root: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(SRC), "HOOK_SECRET": "whsec-1"}
    command = [sys.executable, "-m", "productops", "notify", "send", "--workspace", str(root)]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_a_sender_killed_mid_send_and_restarted_delivers_each_message_once(
    tmp_path: Path, teams_csv: Path
) -> None:
    receiver = Receiver(hold=threading.Event())
    with http_receiver(receiver):
        ws = make_workspace(tmp_path / "ws", teams_csv, notify_settings(receiver.url))
        alerts = [
            (
                f"alert.theme_spike:payments:theme-{i}",
                Message("alert.theme_spike", f"Spike {i}", f"{i} items", None),
                "payments",
            )
            for i in range(5)
        ]
        keys = queue(ws, Actor("cli:test"), "alert.queue", alerts, datetime.now(UTC))
        ws.close()

        with _sender(ws.root) as first:
            try:
                assert receiver.arrived.wait(60), "the first sender never sent"
            finally:
                first.send_signal(signal.SIGKILL)
                assert first.wait(30) == -signal.SIGKILL
        assert len(receiver.received) == 1  # it was killed while its first request was held
        receiver.hold.set()  # type: ignore[union-attr]

        with _sender(ws.root) as again:
            _, errors = again.communicate(timeout=120)
        assert again.returncode == 0, errors.decode()

    assert sorted(receiver.shown) == sorted(keys)
    assert receiver.repeats == 1
    assert [r.key for r in receiver.received].count(receiver.received[0].key) == 2
    reopened = Workspace.open(ws.root)
    try:
        entries = outbox(reopened)
        assert {e.status for e in entries} == {"sent"}
        attempts = {e.idempotency_key: e.attempts for e in entries}
        assert attempts.pop(receiver.received[0].key) == 2
        assert set(attempts.values()) == {1}
    finally:
        reopened.close()
