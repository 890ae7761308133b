"""Signed webhooks to a real HTTP receiver on 127.0.0.1: the signature verifies, a changed
body, another key or an old timestamp does not; 429, 5xx and 4xx are told apart."""

from __future__ import annotations

import hashlib
import hmac
import json
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from productops.channels import Message, Part, send
from productops.channels.webhook import TOLERANCE_SECONDS, sign, verify_signature
from productops.config import SlackChannel, WebhookChannel
from productops.errors import ConfigError, DeliveryError
from tests.channels.receivers import http_receiver

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SECRET = "whsec-test-5b1f"
MESSAGE = Message(
    "alert.theme_spike",
    "Spike: checkout errors",
    "12 feedback items this week against 3 a week before (4.0x)",
    "https://po.example.com/themes/t-1",
    (Part("Quotes", ("The checkout spins forever",)),),
)


def _hook(url: str) -> WebhookChannel:
    return WebhookChannel(kind="webhook", url=url, secret_env="HOOK_SECRET")


def test_the_signature_verifies_over_timestamp_dot_body(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOOK_SECRET", SECRET)
    with http_receiver() as receiver:
        send("hook", _hook(receiver.url), MESSAGE, "k-1", None, root=tmp_path, now=NOW, timeout=5)
    [got] = receiver.received
    stamp, signature = got.headers["X-Productops-Timestamp"], got.headers["X-Productops-Signature"]
    assert stamp == str(int(NOW.timestamp()))
    assert got.key == "k-1"
    body = json.loads(got.body)
    assert (body["id"], body["kind"], body["subject"]) == ("k-1", MESSAGE.kind, MESSAGE.subject)
    assert body["link"] == MESSAGE.link
    now = NOW.timestamp()
    assert verify_signature(SECRET, stamp, got.body, signature, now)
    # Computed here from the documented recipe, not through productops's own `sign`.
    expected = hmac.new(SECRET.encode(), stamp.encode() + b"." + got.body, hashlib.sha256)
    assert signature == "v1=" + expected.hexdigest()
    assert not verify_signature(SECRET, stamp, got.body + b" ", signature, now)
    assert not verify_signature("another-key", stamp, got.body, signature, now)
    assert not verify_signature(SECRET, stamp, got.body, signature, now + TOLERANCE_SECONDS + 1)
    assert verify_signature(SECRET, stamp, got.body, signature, now + TOLERANCE_SECONDS)
    assert not verify_signature(SECRET, "abc", got.body, signature, now)


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_openssl_computes_the_same_signature() -> None:
    body = b'{"id":"k"}'
    out = subprocess.run(
        ["openssl", "dgst", "-sha256", "-hmac", SECRET, "-r"],
        input=b"1700000000." + body,
        capture_output=True,
        check=True,
    )
    assert sign(SECRET, 1700000000, body) == "v1=" + out.stdout.split()[0].decode()


@pytest.mark.parametrize(
    ("status", "headers", "retry_after", "permanent"),
    [
        (429, {"Retry-After": "120"}, 120.0, False),
        (429, {"Retry-After": "Mon, 02 Mar 2026 09:01:30 GMT"}, 90.0, False),
        (503, {}, None, False),
        (408, {}, None, False),
        (400, {}, None, True),
        (410, {}, None, True),
    ],
)
def test_refusals_say_whether_and_when_to_try_again(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    status: int,
    headers: dict[str, str],
    retry_after: float | None,
    permanent: bool,
) -> None:
    monkeypatch.setenv("HOOK_SECRET", SECRET)
    with http_receiver() as receiver:
        receiver.replies.append((status, headers))
        with pytest.raises(DeliveryError, match=f"answered {status}") as caught:
            send("hook", _hook(receiver.url), MESSAGE, "k", None, root=tmp_path, now=NOW, timeout=5)
    assert (caught.value.retry_after, caught.value.permanent) == (retry_after, permanent)


def test_a_slack_url_s_token_never_shows_in_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = "T0001/B0002/XXXXsecretXXXX"
    with http_receiver() as receiver:
        monkeypatch.setenv("SLACK_URL", f"{receiver.url}/services/{token}")
        receiver.replies.append((404, {}))
        channel = SlackChannel(kind="slack", url_env="SLACK_URL")
        with pytest.raises(DeliveryError) as caught:
            send("team", channel, MESSAGE, "k", None, root=tmp_path, now=NOW, timeout=5)
    assert "XXXXsecretXXXX" not in str(caught.value)
    assert "127.0.0.1" in str(caught.value)


def test_an_unset_secret_is_named_not_shown(tmp_path: Path) -> None:
    channel = WebhookChannel(kind="webhook", url="http://127.0.0.1:9/x", secret_env="NOT_SET_X")
    with pytest.raises(ConfigError, match="NOT_SET_X is not set"):
        send("hook", channel, MESSAGE, "k", None, root=tmp_path, now=NOW, timeout=5)
