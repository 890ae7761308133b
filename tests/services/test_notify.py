"""The outbox: queued once per key, sent to real receivers on 127.0.0.1, retried with backoff
and Retry-After on a clock the test controls (no sleeps), dead after N failures, muted users
left out."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from productops.channels import Message
from productops.config import Config, NotifySettings
from productops.errors import NotAllowedError
from productops.ingest import import_file
from productops.services import Actor
from productops.services.audit import events
from productops.services.notify import deliver, mute, outbox, queue, recipients, unmute
from productops.services.users import Access, add_user
from productops.workspace import Workspace
from tests.channels.receivers import Receiver, http_receiver

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ME = Actor("cli:test")


class Clock:
    """A clock the test moves."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def move(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


def notify_settings(url: str, **changes: object) -> NotifySettings:
    return NotifySettings.model_validate(
        {
            "base_url": "https://po.example.com",
            "backoff_seconds": 30,
            "max_attempts": 3,
            "channels": {"hook": {"kind": "webhook", "url": url, "secret_env": "HOOK_SECRET"}},
            "subscriptions": [
                {"channel": "hook", "team": "payments"},
                {"channel": "hook", "org": True, "alerts": ["incident_opened"]},
                {"channel": "hook", "user": "ana"},
            ],
            **changes,
        }
    )


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[Receiver]:
    monkeypatch.setenv("HOOK_SECRET", "whsec-1")
    with http_receiver() as found:
        yield found


def make_workspace(root: Path, teams_csv: Path, settings: NotifySettings) -> Workspace:
    ws = Workspace.init(root, Config(notify=settings))
    import_file(ws.store, "team", teams_csv)
    add_user(ws, ME, "ana", teams=["growth"])
    add_user(ws, ME, "ben", teams=["payments"])
    return ws


@pytest.fixture
def ws(tmp_path: Path, teams_csv: Path, receiver: Receiver) -> Iterator[Workspace]:
    found = make_workspace(tmp_path / "ws", teams_csv, notify_settings(receiver.url))
    yield found
    found.close()


def spike(team: str = "payments") -> tuple[str, Message, str]:
    message = Message("alert.theme_spike", f"Spike in {team}", "12 items, 4.0x usual", None)
    return (f"alert.theme_spike:{team}:2026-W10", message, team)


def test_a_team_alert_goes_to_the_team_not_to_other_teams_members(ws: Workspace) -> None:
    assert [r.audience for r in recipients(ws, "payments", "theme_spike")] == ["team:payments"]
    assert [r.audience for r in recipients(ws, "growth", "theme_spike")] == ["user:ana"]
    assert [r.audience for r in recipients(ws, None, "incident_opened")] == ["org"]
    assert recipients(ws, None, "theme_spike") == []
    assert [r.audience for r in recipients(ws, "growth", "digest")] == ["user:ana"]
    assert [r.audience for r in recipients(ws, None, "digest")] == ["org"]


def test_queueing_the_same_alert_again_adds_nothing(ws: Workspace) -> None:
    first = queue(ws, ME, "alert.queue", [spike(), spike("growth")], T0)
    again = queue(ws, ME, "alert.queue", [spike(), spike("growth")], T0 + timedelta(hours=1))
    assert first == [
        "alert.theme_spike:payments:2026-W10|hook|team:payments",
        "alert.theme_spike:growth:2026-W10|hook|user:ana",
    ]
    assert again == []
    assert ws.store.sql("SELECT count(*), count(DISTINCT idempotency_key) FROM outbox") == [(2, 2)]
    assert [e.action for e in events(ws, object="outbox")] == ["alert.queue"]


def test_every_queued_message_arrives_once_and_is_marked_sent(
    ws: Workspace, receiver: Receiver
) -> None:
    keys = queue(ws, ME, "alert.queue", [spike(), spike("growth")], T0)
    run = deliver(ws, ME, Clock(T0))
    assert (run.sent, run.dead) == (2, 0)
    assert sorted(receiver.shown) == sorted(keys)
    assert receiver.repeats == 0
    assert {e.status for e in outbox(ws)} == {"sent"}
    assert deliver(ws, ME, Clock(T0 + timedelta(days=1))).attempts == []
    actions = [e.action for e in events(ws, object="outbox")]
    assert actions == ["alert.queue", "notify.sent", "notify.sent"]


def test_a_429_waits_for_its_retry_after_then_sends(ws: Workspace, receiver: Receiver) -> None:
    [key] = queue(ws, ME, "alert.queue", [spike()], T0)
    receiver.replies.append((429, {"Retry-After": "120"}))
    clock = Clock(T0)

    [first] = deliver(ws, ME, clock).attempts
    assert (first.status, first.attempts) == ("pending", 1)
    assert first.next_attempt_at == T0 + timedelta(seconds=120)
    assert "answered 429" in str(first.error)

    clock.move(119)
    assert deliver(ws, ME, clock).attempts == []
    assert len(receiver.received) == 1

    clock.move(1)
    [second] = deliver(ws, ME, clock).attempts
    assert (second.status, second.attempts) == ("sent", 2)
    assert [r.key for r in receiver.received] == [key, key]
    assert list(receiver.shown) == [key]


def test_errors_back_off_doubling_then_the_message_is_dead_with_its_error(
    ws: Workspace, receiver: Receiver
) -> None:
    queue(ws, ME, "alert.queue", [spike()], T0)
    receiver.replies += [(503, {})] * 3
    clock = Clock(T0)
    waits = []
    for _ in range(3):
        [attempt] = deliver(ws, ME, clock).attempts
        if attempt.next_attempt_at is not None:
            waits.append((attempt.next_attempt_at - clock()).total_seconds())
            clock.at = attempt.next_attempt_at
    assert waits == [30.0, 60.0]  # backoff_seconds, doubled; the third failure is the last
    assert attempt.status == "dead"
    [dead] = outbox(ws, "dead")
    assert dead.attempts == 3
    assert "answered 503" in str(dead.last_error)
    clock.move(10**6)
    assert deliver(ws, ME, clock).attempts == []


def test_a_refusal_that_cannot_mend_is_dead_at_once(ws: Workspace, receiver: Receiver) -> None:
    queue(ws, ME, "alert.queue", [spike()], T0)
    receiver.replies.append((400, {}))
    [attempt] = deliver(ws, ME, Clock(T0)).attempts
    assert (attempt.status, attempt.attempts) == ("dead", 1)


def test_a_muted_user_gets_nothing_of_that_kind(ws: Workspace) -> None:
    ana = Access(Actor("user:ana"), "member", ("growth",))
    assert mute(ws, ana, "ana", "theme_spike", T0) == ["theme_spike"]
    assert recipients(ws, "growth", "theme_spike") == []
    assert [r.audience for r in recipients(ws, "growth", "digest")] == ["user:ana"]
    assert mute(ws, ana, "ana", "*", T0) == ["*", "theme_spike"]
    assert recipients(ws, "growth", "digest") == []
    assert unmute(ws, ana, "ana") == []
    assert [r.audience for r in recipients(ws, "growth", "theme_spike")] == ["user:ana"]
    assert [e.action for e in events(ws, object="app_user:ana")][-3:] == [
        "notify.mute",
        "notify.mute",
        "notify.unmute",
    ]


def test_a_member_cannot_mute_someone_else(ws: Workspace) -> None:
    ben = Access(Actor("user:ben"), "member", ("payments",))
    with pytest.raises(NotAllowedError):
        mute(ws, ben, "ana", "*", T0)
    assert mute(ws, Access.cli(), "ana", "digest", T0) == ["digest"]
