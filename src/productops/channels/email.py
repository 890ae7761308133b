"""E-mail: a `Message` as MIME (a plain-text part, and HTML with its charts inline as PNG images
referenced by Content-ID), sent over SMTP with STARTTLS (or TLS) and AUTH.

The Message-ID is derived from the idempotency key, so a message sent again after a crash has
the same Message-ID, which mail stores and clients use to show it once.
"""

from __future__ import annotations

import hashlib
import smtplib
import ssl
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from html import escape

from productops.channels.message import Message
from productops.config import EmailChannel
from productops.errors import DeliveryError

__all__ = ["email_message", "message_id", "send_email"]


def message_id(key: str, sender: str) -> str:
    """The Message-ID of the message with idempotency `key`: the same key, the same id.

    >>> message_id("digest.org:2026-W10|mail|ana@example.com", "po@example.com")
    '<778ccbf1070f42c3c6db8d0b4e162894@example.com>'
    """
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return f"<{digest}@{sender.rpartition('@')[2] or 'productops'}>"


def _html(message: Message) -> str:
    out = [
        '<!doctype html><html><body style="font-family:sans-serif;color:#263238">',
        f'<h1 style="font-size:18px">{escape(message.subject)}</h1>',
        f"<p>{escape(message.summary)}</p>",
    ]
    if message.link:
        out.append(f'<p><a href="{escape(message.link)}">Open in productops</a></p>')
    for image in message.images:
        out.append(f'<p><img src="cid:{escape(image.cid)}" alt="{escape(image.alt)}"></p>')
    for part in message.parts:
        out.append(f'<h2 style="font-size:15px">{escape(part.title)}</h2>')
        if part.lines:
            out.append("<ul>" + "".join(f"<li>{escape(x)}</li>" for x in part.lines) + "</ul>")
        if part.fields:
            rows = "".join(
                f"<tr><th align=left>{escape(k)}</th><td>{escape(v)}</td></tr>"
                for k, v in part.fields
            )
            out.append(f"<table>{rows}</table>")
    return "".join(out) + "</body></html>"


def email_message(message: Message, key: str, sender: str, to: str, now: datetime) -> EmailMessage:
    """The MIME message: multipart/alternative of text/plain and multipart/related (text/html
    and one image/png per chart, each with the Content-ID its `<img src="cid:...">` names)."""
    mail = EmailMessage()
    mail["Subject"] = message.subject
    mail["From"] = sender
    mail["To"] = to
    mail["Date"] = format_datetime(now)
    mail["Message-ID"] = message_id(key, sender)
    mail["X-Productops-Key"] = key
    mail.set_content(message.text())
    mail.add_alternative(_html(message), subtype="html")
    html = mail.get_body(("html",))
    assert isinstance(html, EmailMessage)
    for image in message.images:
        html.add_related(
            image.png, "image", "png", cid=f"<{image.cid}>", filename=f"{image.cid}.png"
        )
    return mail


def send_email(
    settings: EmailChannel, password: str | None, mail: EmailMessage, timeout: float
) -> None:
    """Send `mail` through the channel's SMTP server; a `DeliveryError` if it is not taken
    (`permanent` for a 5xx answer: a refused address or login)."""
    where = f"SMTP {settings.host}:{settings.port}"
    context = ssl.create_default_context(cafile=settings.ca_file)
    try:
        if settings.security == "tls":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                settings.host, settings.port, timeout=timeout, context=context
            )
        else:
            smtp = smtplib.SMTP(settings.host, settings.port, timeout=timeout)
        with smtp:
            if settings.security == "starttls":
                smtp.starttls(context=context)
            if settings.username:
                smtp.login(settings.username, password or "")
            smtp.send_message(mail)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        raise DeliveryError(
            f"{where} refused the recipient ({', '.join(map(str, codes))})",
            permanent=all(500 <= c < 600 for c in codes),
        ) from None
    except smtplib.SMTPResponseException as exc:
        text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else ""
        raise DeliveryError(
            f"{where} answered {exc.smtp_code} {text}".strip(),
            permanent=500 <= exc.smtp_code < 600,
        ) from None
    except (smtplib.SMTPException, ssl.SSLError, OSError) as exc:
        raise DeliveryError(f"{where}: {type(exc).__name__}: {exc}") from None
