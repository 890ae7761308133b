"""E-mail through a real SMTP server on 127.0.0.1 that requires STARTTLS and AUTH."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest

from productops.channels import Image, Message, Part, send
from productops.channels.email import message_id
from productops.config import EmailChannel
from productops.errors import DeliveryError
from productops.reports.charts import Chart, Line, Rect
from productops.reports.png import to_png
from tests.channels.receivers import SMTP_PASSWORD, SMTP_USER, Mailbox, smtp_server

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CHART = Chart(60, 30, [Rect(5, 5, 10, 20, "#2e7d32"), Line(((0, 30), (60, 0)), "#1565c0")], "c")


@pytest.fixture
def smtp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Mailbox, EmailChannel]]:
    monkeypatch.setenv("SMTP_PASSWORD", SMTP_PASSWORD)
    with smtp_server(tmp_path) as (mailbox, port, ca_file):
        yield (
            mailbox,
            EmailChannel(
                kind="email",
                host="127.0.0.1",
                port=port,
                username=SMTP_USER,
                password_env="SMTP_PASSWORD",
                sender="productops@example.com",
                ca_file=str(ca_file),
            ),
        )


def _digest() -> Message:
    return Message(
        "digest.team",
        "Payments: your week in productops",
        "2 criteria moved, 1 nudge offered",
        "https://po.example.com/teams/payments",
        (Part("Scorecard", ("Cycle time 4.1 d (was 5.0 d)",), (("On target", "5 of 8"),)),),
        (Image("scorecard", "criteria on target per week", to_png(CHART)),),
    )


def _parse(raw: bytes) -> EmailMessage:
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def test_a_digest_arrives_with_text_html_and_its_chart_inline(
    smtp: tuple[Mailbox, EmailChannel], tmp_path: Path
) -> None:
    mailbox, channel = smtp
    key = "digest.team:payments:2026-W10|mail|ana@example.com"
    send(
        "mail",
        channel,
        _digest(),
        key,
        "ana@example.com",
        root=tmp_path / "ws",
        now=NOW,
        timeout=10,
    )

    [(sender, rcpt, raw)] = mailbox.messages
    assert (sender, rcpt) == ("productops@example.com", ["ana@example.com"])
    mail = _parse(raw)
    assert mail["Subject"] == "Payments: your week in productops"
    assert mail["Message-ID"] == message_id(key, "productops@example.com")
    assert mail["X-Productops-Key"] == key
    assert mail.get_content_type() == "multipart/alternative"
    plain, related = mail.iter_parts()
    assert plain.get_content_type() == "text/plain"
    assert "2 criteria moved, 1 nudge offered" in plain.get_content()
    assert "Cycle time 4.1 d (was 5.0 d)" in plain.get_content()
    assert related.get_content_type() == "multipart/related"
    html, image = related.iter_parts()
    assert html.get_content_type() == "text/html"
    assert image.get_content_type() == "image/png"
    cid = image["Content-ID"].strip("<>")
    assert f'src="cid:{cid}"' in html.get_content()
    assert image.get_content() == to_png(CHART)
    assert image.get_content()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_same_key_gives_the_same_message_id_and_another_key_another() -> None:
    a = message_id("k1|mail|ana@example.com", "po@example.com")
    assert a == message_id("k1|mail|ana@example.com", "po@example.com")
    assert a != message_id("k1|mail|ben@example.com", "po@example.com")
    assert a.endswith("@example.com>")


def test_a_wrong_password_is_a_permanent_failure_that_names_no_secret(
    smtp: tuple[Mailbox, EmailChannel], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mailbox, channel = smtp
    monkeypatch.setenv("SMTP_PASSWORD", "wrong-password-1")
    with pytest.raises(DeliveryError, match=r"answered 535") as caught:
        send("mail", channel, _digest(), "k", "ana@example.com", root=tmp_path, now=NOW, timeout=10)
    assert caught.value.permanent
    assert "wrong-password-1" not in str(caught.value)
    assert mailbox.messages == []


def test_a_refused_recipient_is_permanent(
    smtp: tuple[Mailbox, EmailChannel], tmp_path: Path
) -> None:
    mailbox, channel = smtp
    mailbox.refuse.add("gone@example.com")
    with pytest.raises(DeliveryError, match="refused the recipient") as caught:
        send(
            "mail", channel, _digest(), "k", "gone@example.com", root=tmp_path, now=NOW, timeout=10
        )
    assert caught.value.permanent


def test_a_server_whose_certificate_is_not_trusted_is_refused_for_now(
    smtp: tuple[Mailbox, EmailChannel], tmp_path: Path
) -> None:
    mailbox, channel = smtp
    untrusted = channel.model_copy(update={"ca_file": None})
    with pytest.raises(DeliveryError, match="SSLCertVerificationError") as caught:
        send(
            "mail", untrusted, _digest(), "k", "ana@example.com", root=tmp_path, now=NOW, timeout=10
        )
    assert not caught.value.permanent
    assert mailbox.messages == []
