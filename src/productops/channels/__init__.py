"""Notification channels: Slack incoming webhooks, e-mail over SMTP, signed webhooks."""

from productops.channels.message import Image, Message, Part
from productops.channels.send import send

__all__ = ["Image", "Message", "Part", "send"]
