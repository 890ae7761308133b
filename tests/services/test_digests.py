"""Weekly digests end to end: built from the store, queued once per week, sent to a real SMTP
server (text, HTML and the chart inline) and a Slack receiver (Block Kit within its limits,
however much the organisation has to say)."""

from __future__ import annotations

import email
import email.policy
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest

from productops.channels.slack import MAX_BLOCKS, limit_problems
from productops.config import Config, NotifySettings
from productops.ingest import import_file
from productops.services import Actor
from productops.services.digests import build_digest, run_digest, week_of
from productops.services.notify import deliver
from productops.workspace import Workspace
from tests.channels.receivers import (
    SMTP_PASSWORD,
    SMTP_USER,
    Mailbox,
    Receiver,
    http_receiver,
    smtp_server,
)
from tests.pillars.builders import land

NOW = datetime(2026, 3, 11, 8, 0, tzinfo=UTC)  # Wednesday of 2026-W11: digests cover W10
ME = Actor("schedule:digest")


def _snapshots(ws: Workspace) -> None:
    """Time-to-market (lower is better, target 10 days) over three months: payments reaches
    its target in February, the organisation's rollup moves but stays off it."""
    months = [
        datetime(2025, 12, 1, tzinfo=UTC),
        datetime(2026, 1, 1, tzinfo=UTC),
        datetime(2026, 2, 1, tzinfo=UTC),
    ]
    rows = [
        {
            "metric": "process.time_to_market",
            "team_id": team,
            "grain": "month",
            "period_start": month,
            "value": value,
            "unit": "days",
            "target": 10.0,
            "computed_at": NOW - timedelta(days=2),
        }
        for team, values in (
            ("payments", (14.0, 12.5, 8.0)),
            ("(organisation)", (13.0, 12.0, 11.0)),
        )
        for month, value in zip(months, values, strict=True)
    ]
    land(ws.store, "metric_snapshot", rows)


@pytest.fixture
def site(
    tmp_path: Path, teams_csv: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Workspace, Mailbox, Receiver]]:
    monkeypatch.setenv("SMTP_PASSWORD", SMTP_PASSWORD)
    with smtp_server(tmp_path) as (mailbox, port, ca_file), http_receiver() as receiver:
        monkeypatch.setenv("SLACK_URL", receiver.url)
        settings = NotifySettings.model_validate(
            {
                "base_url": "https://po.example.com",
                "channels": {
                    "mail": {
                        "kind": "email",
                        "host": "127.0.0.1",
                        "port": port,
                        "username": SMTP_USER,
                        "password_env": "SMTP_PASSWORD",
                        "sender": "productops@example.com",
                        "ca_file": str(ca_file),
                    },
                    "slack": {"kind": "slack", "url_env": "SLACK_URL"},
                },
                "subscriptions": [
                    {
                        "channel": "mail",
                        "team": "payments",
                        "to": "payments@example.com",
                        "alerts": [],
                    },
                    {"channel": "slack", "org": True, "alerts": []},
                ],
            }
        )
        ws = Workspace.init(tmp_path / "ws", Config(notify=settings))
        import_file(ws.store, "team", teams_csv)
        _snapshots(ws)
        try:
            yield ws, mailbox, receiver
        finally:
            ws.close()


def test_the_week_covered_is_the_iso_week_before_now_s() -> None:
    start, end, name = week_of(NOW)
    assert (start, end, name) == (
        datetime(2026, 3, 2, tzinfo=UTC),
        datetime(2026, 3, 9, tzinfo=UTC),
        "2026-W10",
    )
    assert week_of(datetime(2026, 3, 9, 0, 0, tzinfo=UTC))[2] == "2026-W10"
    assert week_of(datetime(2026, 3, 8, 23, 59, tzinfo=UTC))[2] == "2026-W09"


def test_a_team_digest_tells_its_changes_nudges_and_decisions_due(
    site: tuple[Workspace, Mailbox, Receiver],
) -> None:
    ws, _, _ = site
    land(
        ws.store,
        "nudge",
        [
            {
                "id": "productops:nudge-1",
                "team_id": "payments",
                "rule": "shorten-reviews",
                "status": "offered",
                "offered_at": NOW - timedelta(days=5),
            }
        ],
    )
    land(
        ws.store,
        "decision",
        [
            {
                "id": "productops:decision-1",
                "team_id": "payments",
                "title": "Add a QA step",
                "status": "decided",
                "review_at": NOW - timedelta(days=4),
            },
            {
                "id": "productops:decision-2",
                "team_id": "payments",
                "title": "Later",
                "status": "decided",
                "review_at": NOW + timedelta(days=30),
            },
        ],
    )
    digest = build_digest(ws, "payments", NOW)
    m = digest.message
    assert digest.key == "digest.team:payments:2026-W10"
    assert m.subject == "Payments: the week 2026-W10 in productops"
    assert (
        m.summary
        == "Week 2026-W10: 1 criteria changed, 1 nudges open, 0 feedback spikes, 1 decisions due for review."
    )
    assert m.link == "https://po.example.com/teams/payments"
    parts = {p.title: p for p in m.parts}
    assert parts["Scorecard (2026-02)"].lines == (
        "Time-to-market of features: 8 days (was 12.5 days), target 10 days, on target",
    )
    assert dict(parts["Scorecard (2026-02)"].fields)["on target"] == "1"
    assert parts["Nudges open"].lines == ("shorten-reviews (offered 2026-03-06)",)
    assert parts["Decisions due for review"].lines == ("Add a QA step (review due 2026-03-07)",)
    assert parts["Spikes in your themes"].lines == ("None this week.",)
    [image] = m.images
    assert image.png[:8] == b"\x89PNG\r\n\x1a\n"


def test_digests_go_out_once_a_week_by_mail_and_slack(
    site: tuple[Workspace, Mailbox, Receiver],
) -> None:
    ws, mailbox, receiver = site
    queued = run_digest(ws, ME, "teams", NOW).queued + run_digest(ws, ME, "org", NOW).queued
    assert queued == [
        "digest.team:payments:2026-W10|mail|payments@example.com",
        "digest.org:org:2026-W10|slack|org",
    ]
    assert run_digest(ws, ME, "teams", NOW + timedelta(days=1)).queued == []
    assert (deliver(ws, ME).sent, len(mailbox.messages), len(receiver.received)) == (2, 1, 1)

    [(_, rcpt, raw)] = mailbox.messages
    mail = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(mail, EmailMessage)
    assert rcpt == ["payments@example.com"]
    assert mail["Subject"] == "Payments: the week 2026-W10 in productops"
    html = mail.get_body(("html",))
    assert html is not None
    [image] = [p for p in mail.walk() if p.get_content_type() == "image/png"]
    assert f'src="cid:{image["Content-ID"].strip("<>")}"' in html.get_content()
    text = mail.get_body(("plain",))
    assert text is not None
    assert "Time-to-market of features: 8 days (was 12.5 days)" in text.get_content()

    payload = json.loads(receiver.received[0].body)
    assert limit_problems(payload) == []
    assert payload["blocks"][0]["text"]["text"] == "Organisation: the week 2026-W10 in productops"


def test_a_huge_organisation_digest_reaches_slack_cut_within_its_limits(
    site: tuple[Workspace, Mailbox, Receiver],
) -> None:
    ws, _, receiver = site
    land(
        ws.store,
        "nudge",
        [
            {
                "id": f"productops:nudge-{i}",
                "team_id": "payments",
                "rule": f"rule-{i}-" + "x" * 80,
                "status": "offered",
                "offered_at": NOW - timedelta(days=3),
            }
            for i in range(600)
        ],
    )
    assert run_digest(ws, ME, "org", NOW).queued
    assert deliver(ws, ME).sent == 1
    payload = json.loads(receiver.received[0].body)
    assert limit_problems(payload) == []
    assert len(payload["blocks"]) <= MAX_BLOCKS
    assert "more blocks left out to fit Slack's limits" in json.dumps(payload)
