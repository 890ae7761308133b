"""Send one message to one channel: read the channel's secrets, render, and hand it over.

Secrets (a Slack webhook URL, an SMTP password, a signing key) are read at send time from the
environment variable or file the settings name, and never appear in an error: a URL is shown
as its host only. A refusal is a `DeliveryError`: `retry_after` for a 429 (from its
Retry-After header), `permanent` for a 4xx that sending again cannot change.
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from email.utils import parsedate_to_datetime
from pathlib import Path

import httpx

from productops.channels.email import email_message, send_email
from productops.channels.message import Message
from productops.channels.slack import block_kit, limit_problems
from productops.channels.webhook import KEY_HEADER, webhook_body, webhook_headers
from productops.config import Channel, EmailChannel, SlackChannel
from productops.connectors.secrets import check_secret_file
from productops.errors import ConfigError, DeliveryError, UsageError

__all__ = ["channel_secret", "retry_after", "send"]


def channel_secret(env: str | None, file: str | None, root: Path, what: str) -> str | None:
    """The secret in the file `file` (outside the workspace `root`) or the variable `env`."""
    if file:
        try:
            path = check_secret_file(Path(file), root, f"{what} file")
            value = path.read_text(encoding="utf-8").strip()
        except UsageError as exc:
            raise ConfigError(str(exc)) from None
        except OSError as exc:
            raise ConfigError(f"{what}: cannot read {file} ({exc.strerror})") from None
        if not value:
            raise ConfigError(f"{what}: {file} is empty")
        return value
    if env:
        value = os.environ.get(env, "").strip()
        if not value:
            raise ConfigError(
                f"{what}: the environment variable {env} is not set; export it where the "
                "sender runs (productops never stores it)"
            )
        return value
    return None


def retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait per a Retry-After header (seconds, or an HTTP date), or None.

    >>> midnight = datetime.fromisoformat("2026-03-02T00:00:00+00:00")
    >>> retry_after("120", midnight)
    120.0
    >>> retry_after("Mon, 02 Mar 2026 00:01:30 GMT", midnight)
    90.0
    """
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, (parsedate_to_datetime(value) - now).total_seconds())
    except (TypeError, ValueError):
        return None


def _post(
    what: str, url: str, content: bytes, headers: dict[str, str], timeout: float, now: datetime
) -> None:
    host = httpx.URL(url).host
    try:
        response = httpx.post(url, content=content, headers=headers, timeout=timeout)
    except httpx.HTTPError as exc:
        raise DeliveryError(f"{what} {host}: {type(exc).__name__}") from None
    if response.is_success:
        return
    status = response.status_code
    reason = f"{what} {host} answered {status} {response.text[:200]}".strip()
    if status == 429:
        raise DeliveryError(
            reason, retry_after=retry_after(response.headers.get("Retry-After"), now)
        )
    raise DeliveryError(reason, permanent=400 <= status < 500 and status != 408)


def send(
    name: str,
    channel: Channel,
    message: Message,
    key: str,
    recipient: str | None,
    *,
    root: Path,
    now: datetime,
    timeout: float,
) -> None:
    """Deliver `message` with idempotency `key` on the channel `name`; `recipient` is the
    e-mail address for an e-mail channel. Returns when the receiver accepted it."""
    what = f"channel {name}"
    if isinstance(channel, SlackChannel):
        url = channel_secret(channel.url_env, channel.url_file, root, f"{what} webhook URL")
        payload = block_kit(message, key)
        problems = limit_problems(payload)
        assert not problems, problems  # block_kit keeps within them
        body = json.dumps(payload).encode()
        headers = {"Content-Type": "application/json", KEY_HEADER: key}
        _post(f"{what} (Slack)", str(url), body, headers, timeout, now)
    elif isinstance(channel, EmailChannel):
        if recipient is None:
            raise DeliveryError(f"{what}: an e-mail needs a recipient", permanent=True)
        password = channel_secret(
            channel.password_env, channel.password_file, root, f"{what} SMTP password"
        )
        mail = email_message(message, key, channel.sender, recipient, now)
        send_email(channel, password, mail, timeout)
    else:
        url = channel.url or channel_secret(channel.url_env, None, root, f"{what} URL")
        secret = channel_secret(channel.secret_env, channel.secret_file, root, f"{what} key")
        body = webhook_body(message, key)
        headers = webhook_headers(str(secret), int(now.timestamp()), body, key)
        _post(f"{what} (webhook)", str(url), body, headers, timeout, now)
